package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.List;

/** Repetition control on literal logits, against hand-computed values. */
class RepetitionProcessorTest {

    private static final float NEG = Float.NEGATIVE_INFINITY;

    private static float[] apply(RepetitionControl c, int[] prompt, int[] output, float... logits) {
        RepetitionProcessor p = new RepetitionProcessor(c, prompt);
        for (int t : output) {
            p.push(t);
        }
        return p.apply(logits.clone());
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOncePerId() {
        // context {1, 2, 2}: id 1 (-1) -> -2, id 2 (2) -> 1 (once, although it occurs twice); 0, 3, 4 unchanged
        assertArrayEquals(new float[] {1f, -2f, 1f, -0.5f, 4f},
                apply(RepetitionControl.of(2, 0), new int[] {1, 2}, new int[] {2}, 1f, -1f, 2f, -0.5f, 4f));
        // r < 1 rewards repetition: 3 / 0.5 = 6, -0.5 * 0.5 = -0.25, and a zero logit stays zero
        assertArrayEquals(new float[] {0f, 1f, 1f, -0.25f, 6f},
                apply(RepetitionControl.of(0.5, 0), new int[] {0, 4}, new int[] {3}, 0f, 1f, 1f, -0.5f, 3f));
    }

    @Test
    void noRepeatNgramBansTheTokensThatWouldCompleteASeenNgram() {
        float[] ones = {1f, 1f, 1f, 1f, 1f};
        // n = 2, context 3 1 4 1: the bigram (1, 4) exists, so after 1 the token 4 is banned
        assertArrayEquals(new float[] {1f, 1f, 1f, 1f, NEG}, apply(RepetitionControl.of(1, 2), new int[] {3, 1}, new int[] {4, 1}, ones));
        // n = 3, context 3 1 4 3 1 (prompt and output together): (3, 1, 4) exists -> 4 banned; (1, 4, 3) does not apply
        assertArrayEquals(new float[] {1f, 1f, 1f, 1f, NEG}, apply(RepetitionControl.of(1, 3), new int[] {3, 1, 4}, new int[] {3, 1}, ones));
        // n = 2, context 0 2 0 3 0: both bigrams after 0 are banned
        assertArrayEquals(new float[] {1f, 1f, NEG, NEG, 1f}, apply(RepetitionControl.of(1, 2), new int[] {0, 2, 0, 3, 0}, new int[0], ones));
        // n = 1 bans every token seen
        assertArrayEquals(new float[] {1f, NEG, NEG, 1f, 1f}, apply(RepetitionControl.of(1, 1), new int[] {1}, new int[] {2, 1}, ones));
        // n = 3 with no earlier occurrence of the last two tokens, and a context shorter than n - 1: nothing banned
        assertArrayEquals(ones, apply(RepetitionControl.of(1, 3), new int[] {1, 2, 3}, new int[] {4}, ones));
        assertArrayEquals(ones, apply(RepetitionControl.of(1, 4), new int[] {1, 2}, new int[0], ones));
    }

    @Test
    void presenceAndFrequencyPenaltiesCountGeneratedTokensOnly() {
        // prompt {0}; output 1 1 3: id 1 -= 0.5 + 0.25*2 = 1.0; id 3 -= 0.5 + 0.25 = 0.75; id 0 (prompt only) unchanged
        RepetitionControl c = new RepetitionControl(1, 0, 0.5, 0.25);
        assertArrayEquals(new float[] {1f, 0f, 1f, 0.25f, 1f}, apply(c, new int[] {0}, new int[] {1, 1, 3}, 1f, 1f, 1f, 1f, 1f));
        // negative penalties encourage repetition
        assertArrayEquals(new float[] {1f, 3f, 1f, 1f, 1f},
                apply(new RepetitionControl(1, 0, -1, -0.5), new int[] {0}, new int[] {1, 1}, 1f, 1f, 1f, 1f, 1f));
    }

    @Test
    void allControlsTogetherAndTruncationRestoresTheEarlierContext() {
        RepetitionControl c = new RepetitionControl(2, 2, 1, 0);
        RepetitionProcessor p = new RepetitionProcessor(c, new int[] {0, 1});
        p.push(0);
        // context 0 1 0: r on {0, 1}: 4 -> 2, -2 -> -4; bigram (0, 1) bans 1; presence 1 on generated {0}: 2 -> 1
        assertArrayEquals(new float[] {1f, NEG, 3f}, p.apply(new float[] {4f, -2f, 3f}));
        p.push(2);
        p.push(1);
        assertEquals(5, p.length());
        p.truncate(3);
        assertArrayEquals(new float[] {1f, NEG, 3f}, p.apply(new float[] {4f, -2f, 3f}));
        assertThrows(IllegalArgumentException.class, () -> p.truncate(1)); // into the prompt
        assertThrows(IllegalArgumentException.class, () -> p.truncate(4)); // beyond the context
    }

    @Test
    void neutralSettingsAreInactiveAndLeaveLogitsUntouched() {
        assertFalse(RepetitionControl.NONE.isActive());
        assertTrue(RepetitionControl.of(1.1, 0).isActive());
        assertTrue(RepetitionControl.of(1, 3).isActive());
        assertTrue(new RepetitionControl(1, 0, 0, 0.1).isActive());
        float[] logits = {1f, -1f};
        RepetitionProcessor p = new RepetitionProcessor(RepetitionControl.NONE, new int[] {0, 1});
        assertSame(logits, p.apply(logits));
        assertArrayEquals(new float[] {1f, -1f}, logits);
    }

    @Test
    void badValuesAreRefusedNamingTheParameter() {
        assertMessage(() -> RepetitionControl.of(0, 0), "repetition_penalty must be a finite number > 0 (1 = off), got 0.0");
        assertMessage(() -> RepetitionControl.of(-1.2, 0), "repetition_penalty must be a finite number > 0 (1 = off), got -1.2");
        assertMessage(() -> RepetitionControl.of(Double.NaN, 0), "repetition_penalty must be a finite number > 0 (1 = off), got NaN");
        assertMessage(() -> RepetitionControl.of(Double.POSITIVE_INFINITY, 0),
                "repetition_penalty must be a finite number > 0 (1 = off), got Infinity");
        assertMessage(() -> RepetitionControl.of(1, -1), "no_repeat_ngram_size must be >= 0 (0 = off), got -1");
        assertMessage(() -> new RepetitionControl(1, 0, 2.5, 0), "presence_penalty must be in [-2, 2], got 2.5");
        assertMessage(() -> new RepetitionControl(1, 0, 0, -2.01), "frequency_penalty must be in [-2, 2], got -2.01");
        assertMessage(() -> new RepetitionControl(1, 0, 0, Double.NaN), "frequency_penalty must be in [-2, 2], got NaN");
        assertMessage(() -> GenerationConfig.greedy(4, List.of()).withRepetition(null),
                "repetition control must not be null (RepetitionControl.NONE = off)");
    }

    private static void assertMessage(Runnable r, String message) {
        assertEquals(message, assertThrows(IllegalArgumentException.class, r::run).getMessage());
    }
}
