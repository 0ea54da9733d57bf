package dev.layerskip.eval.task;

import java.util.ArrayList;
import java.util.List;

/**
 * Code completion scores without running code. Both texts are compared line by line after dropping
 * blank lines and trailing whitespace (leading indentation is kept: it is Python syntax); the
 * reference's k non-blank lines are what the prediction must reproduce.
 *
 * @param firstLineExact 1 when the prediction's first line equals the reference's, else 0
 * @param firstLinesExact 1 when the prediction's first k lines equal the reference's k lines, else 0
 * @param editSimilarity 1 − Levenshtein(p, r) / max(|p|, |r|) over the first k lines of each joined
 *     by newlines, in characters (UTF-16 units); 1 when both are empty
 */
public record CodeScores(double firstLineExact, double firstLinesExact, double editSimilarity) {

    /** Checks the scores are in range. */
    public CodeScores {
        if (!(firstLineExact == 0 || firstLineExact == 1) || !(firstLinesExact == 0 || firstLinesExact == 1)
                || !(editSimilarity >= 0 && editSimilarity <= 1)) {
            throw new IllegalArgumentException("code scores out of range: " + firstLineExact + ", " + firstLinesExact + ", " + editSimilarity);
        }
    }

    /**
     * Scores a prediction.
     *
     * @param prediction the generated text
     * @param reference the reference lines
     * @return the three scores
     */
    public static CodeScores of(String prediction, String reference) {
        List<String> r = lines(reference);
        List<String> p = lines(prediction);
        int k = r.size();
        List<String> pk = p.subList(0, Math.min(k, p.size()));
        double firstLine = !r.isEmpty() && !p.isEmpty() && p.get(0).equals(r.get(0)) ? 1 : 0;
        double firstLines = pk.equals(r) ? 1 : 0;
        return new CodeScores(firstLine, firstLines, editSimilarity(String.join("\n", pk), String.join("\n", r)));
    }

    /**
     * @param text the text
     * @return its non-blank lines, trailing whitespace removed
     */
    public static List<String> lines(String text) {
        List<String> out = new ArrayList<>();
        for (String line : text.split("\r?\n", -1)) {
            String trimmed = line.stripTrailing();
            if (!trimmed.isEmpty()) {
                out.add(trimmed);
            }
        }
        return out;
    }

    /**
     * @param a one text
     * @param b the other
     * @return 1 − Levenshtein(a, b) / max(|a|, |b|), or 1 when both are empty
     */
    public static double editSimilarity(String a, String b) {
        int max = Math.max(a.length(), b.length());
        return max == 0 ? 1 : 1 - (double) levenshtein(a, b) / max;
    }

    /**
     * @param a one text
     * @param b the other
     * @return the fewest single-character insertions, deletions and substitutions turning a into b
     */
    public static int levenshtein(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] t = previous;
            previous = current;
            current = t;
        }
        return previous[b.length()];
    }
}
