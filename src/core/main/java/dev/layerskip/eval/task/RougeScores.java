package dev.layerskip.eval.task;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * ROUGE-1, ROUGE-2 and ROUGE-L F1 of one prediction against one reference (Lin, 2004), with the
 * tokenisation of Google's {@code rouge-score} package without stemming: lowercase, every run of
 * characters other than ASCII letters and digits is a separator. N-gram matches are clipped
 * (an n-gram counts at most as often as it occurs in the other text); ROUGE-L uses the longest
 * common subsequence of the whole texts. A score is 0 when either text has no tokens (no n-grams).
 *
 * @param rouge1 unigram F1, in [0, 1]
 * @param rouge2 bigram F1, in [0, 1]
 * @param rougeL longest-common-subsequence F1, in [0, 1]
 */
public record RougeScores(double rouge1, double rouge2, double rougeL) {

    /** Checks the scores are in [0, 1]. */
    public RougeScores {
        for (double v : new double[] {rouge1, rouge2, rougeL}) {
            if (!(v >= 0 && v <= 1)) {
                throw new IllegalArgumentException("ROUGE scores must be in [0, 1], got " + v);
            }
        }
    }

    /**
     * Scores a prediction.
     *
     * @param prediction the generated text
     * @param reference the reference text
     * @return the three F1 scores
     */
    public static RougeScores of(String prediction, String reference) {
        List<String> p = tokens(prediction);
        List<String> r = tokens(reference);
        return new RougeScores(ngramF1(p, r, 1), ngramF1(p, r, 2), f1(lcs(p, r), p.size(), r.size()));
    }

    /**
     * The ROUGE tokenisation.
     *
     * @param text the text
     * @return its lowercase alphanumeric tokens, in order
     */
    public static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        for (String t : text.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")) {
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return out;
    }

    private static double ngramF1(List<String> prediction, List<String> reference, int n) {
        Map<List<String>, Integer> ref = ngrams(reference, n);
        Map<List<String>, Integer> pred = ngrams(prediction, n);
        long overlap = 0;
        for (Map.Entry<List<String>, Integer> e : pred.entrySet()) {
            overlap += Math.min(e.getValue(), ref.getOrDefault(e.getKey(), 0));
        }
        return f1(overlap, Math.max(0, prediction.size() - n + 1), Math.max(0, reference.size() - n + 1));
    }

    private static Map<List<String>, Integer> ngrams(List<String> tokens, int n) {
        Map<List<String>, Integer> out = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            out.merge(List.copyOf(tokens.subList(i, i + n)), 1, Integer::sum);
        }
        return out;
    }

    /** Length of the longest common subsequence, two rows of the dynamic programme. */
    private static long lcs(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1];
        int[] current = new int[b.size() + 1];
        for (String x : a) {
            for (int j = 1; j <= b.size(); j++) {
                current[j] = x.equals(b.get(j - 1)) ? previous[j - 1] + 1 : Math.max(previous[j], current[j - 1]);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.size()];
    }

    private static double f1(long overlap, long predictionCount, long referenceCount) {
        if (overlap == 0 || predictionCount == 0 || referenceCount == 0) {
            return 0;
        }
        double precision = (double) overlap / predictionCount;
        double recall = (double) overlap / referenceCount;
        return 2 * precision * recall / (precision + recall);
    }
}
