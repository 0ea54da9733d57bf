package dev.layerskip.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The continuation scores on literal sequences, against hand-computed values. */
class ContinuationScoreTest {

    @Test
    void tokenF1CountsTheMultisetOverlap() {
        // generated 1 1 2 3, real 1 2 2 4: overlap {1, 2} = 2; precision 2/4, recall 2/4, F1 0.5
        assertEquals(0.5, ContinuationScore.tokenF1(new int[] {1, 1, 2, 3}, new int[] {1, 2, 2, 4}), 1e-12);
        // generated 5 6, real 5 6 7 8: precision 1, recall 1/2, F1 2/3
        assertEquals(2.0 / 3, ContinuationScore.tokenF1(new int[] {5, 6}, new int[] {5, 6, 7, 8}), 1e-12);
        assertEquals(1.0, ContinuationScore.tokenF1(new int[] {3, 1, 2}, new int[] {1, 2, 3}), 1e-12);
        assertEquals(0.0, ContinuationScore.tokenF1(new int[] {9}, new int[] {1}), 0);
        assertEquals(0.0, ContinuationScore.tokenF1(new int[0], new int[] {1}), 0);
    }

    @Test
    void repeatedNgramFractionCountsRepeatsOfEarlierNgrams() {
        // 1 2 1 2 1 2: bigrams 12 21 12 21 12 -> 3 of 5 repeat an earlier one
        assertEquals(0.6, ContinuationScore.repeatedNgramFraction(new int[] {1, 2, 1, 2, 1, 2}, 2), 1e-12);
        // 4-grams of 7 7 7 7 7 7: 3 windows, 2 repeats
        assertEquals(2.0 / 3, ContinuationScore.repeatedNgramFraction(new int[] {7, 7, 7, 7, 7, 7}, 4), 1e-12);
        assertEquals(0.0, ContinuationScore.repeatedNgramFraction(new int[] {1, 2, 3, 4, 5}, 2), 0);
        assertEquals(0.0, ContinuationScore.repeatedNgramFraction(new int[] {1, 2}, 4), 0);
        assertThrows(IllegalArgumentException.class, () -> ContinuationScore.repeatedNgramFraction(new int[] {1}, 0));
    }

    @Test
    void distinctLineFractionIgnoresBlankLinesAndIndentation() {
        // non-blank lines: "a = 1", "a = 1" (indented), "b = 2" -> 2 distinct of 3
        assertEquals(2.0 / 3, ContinuationScore.distinctLineFraction("a = 1\n\n    a = 1\nb = 2\n"), 1e-12);
        assertEquals(1.0, ContinuationScore.distinctLineFraction("\n  \n"), 0);
        assertEquals(0.25, ContinuationScore.distinctLineFraction("#\n#\n#\n#"), 1e-12);
    }
}
