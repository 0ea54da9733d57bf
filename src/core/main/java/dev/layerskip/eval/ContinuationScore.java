package dev.layerskip.eval;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How well a generated continuation matches the real one, and how degenerate it is. Used to choose
 * decoding defaults (repetition control) by measurement.
 */
public final class ContinuationScore {

    private ContinuationScore() {}

    /**
     * Token-level F1 of two bags of tokens: the multiset overlap over the generated and the real length.
     *
     * @param generated the generated ids
     * @param reference the real continuation's ids
     * @return F1 in [0, 1]; 0 when either is empty
     */
    public static double tokenF1(int[] generated, int[] reference) {
        return bagF1(java.util.Arrays.stream(generated).boxed().toList(), java.util.Arrays.stream(reference).boxed().toList());
    }

    /**
     * F1 of two bags (multisets): shared items counted with multiplicity, over the predicted and the
     * reference size. The one implementation of token F1 (also used by the task metrics).
     *
     * @param predicted the predicted items
     * @param reference the reference items
     * @param <T> the item type
     * @return F1 in [0, 1]; 0 when either is empty or nothing is shared
     */
    public static <T> double bagF1(List<T> predicted, List<T> reference) {
        if (predicted.isEmpty() || reference.isEmpty()) {
            return 0;
        }
        Map<T, Integer> counts = new HashMap<>();
        for (T t : reference) {
            counts.merge(t, 1, Integer::sum);
        }
        int overlap = 0;
        for (T t : predicted) {
            Integer c = counts.get(t);
            if (c != null && c > 0) {
                overlap++;
                counts.put(t, c - 1);
            }
        }
        if (overlap == 0) {
            return 0;
        }
        double precision = (double) overlap / predicted.size();
        double recall = (double) overlap / reference.size();
        return 2 * precision * recall / (precision + recall);
    }


    /**
     * The fraction of n-grams that repeat an earlier n-gram of the same sequence (0 = none repeats).
     *
     * @param ids the ids
     * @param n the n-gram size, ≥ 1
     * @return the fraction in [0, 1]; 0 when the sequence is shorter than n
     */
    public static double repeatedNgramFraction(int[] ids, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
        int total = ids.length - n + 1;
        if (total <= 0) {
            return 0;
        }
        Set<List<Integer>> seen = new HashSet<>();
        int repeated = 0;
        for (int i = 0; i < total; i++) {
            Integer[] gram = new Integer[n];
            for (int j = 0; j < n; j++) {
                gram[j] = ids[i + j];
            }
            if (!seen.add(List.of(gram))) {
                repeated++;
            }
        }
        return (double) repeated / total;
    }

    /**
     * The fraction of non-blank lines that are distinct (after trimming): 1 when no line repeats.
     *
     * @param text the text
     * @return the fraction in [0, 1]; 1 when there is no non-blank line
     */
    public static double distinctLineFraction(String text) {
        int lines = 0;
        Set<String> distinct = new HashSet<>();
        for (String line : text.split("\n", -1)) {
            String t = line.trim();
            if (!t.isEmpty()) {
                lines++;
                distinct.add(t);
            }
        }
        return lines == 0 ? 1 : (double) distinct.size() / lines;
    }
}
