package dev.layerskip.eval.task;

import dev.layerskip.eval.ContinuationScore;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Exact match and token F1 with SQuAD's answer normalisation: lowercase, ASCII punctuation removed,
 * the articles a/an/the removed, whitespace collapsed. Token F1 counts shared tokens with
 * multiplicity; when either side normalises to no tokens, F1 is 1 if both do and 0 otherwise.
 *
 * @param exactMatch 1 when the normalised texts are equal, else 0
 * @param f1 token-level F1, in [0, 1]
 */
public record AnswerScores(double exactMatch, double f1) {

    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b");
    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    /** Checks the scores are in [0, 1]. */
    public AnswerScores {
        if (!(exactMatch == 0 || exactMatch == 1) || !(f1 >= 0 && f1 <= 1)) {
            throw new IllegalArgumentException("exact match must be 0 or 1 and F1 in [0, 1], got " + exactMatch + ", " + f1);
        }
    }

    /**
     * Scores a prediction.
     *
     * @param prediction the generated text
     * @param reference the reference answer
     * @return exact match and token F1
     */
    public static AnswerScores of(String prediction, String reference) {
        List<String> p = tokens(prediction);
        List<String> r = tokens(reference);
        double em = p.equals(r) ? 1 : 0;
        if (p.isEmpty() || r.isEmpty()) {
            return new AnswerScores(em, em);
        }
        return new AnswerScores(em, ContinuationScore.bagF1(p, r));
    }

    /**
     * SQuAD's normalisation.
     *
     * @param text the text
     * @return its normalised tokens
     */
    public static List<String> tokens(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (char c : text.toLowerCase(Locale.ROOT).toCharArray()) {
            if (PUNCTUATION.indexOf(c) < 0) {
                b.append(c);
            }
        }
        String noArticles = ARTICLES.matcher(b).replaceAll(" ");
        List<String> out = new ArrayList<>();
        for (String t : noArticles.split("\\s+")) {
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return out;
    }
}
