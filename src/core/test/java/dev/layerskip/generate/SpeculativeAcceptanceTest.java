package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The greedy accept rule on literal ids, and the logits path agreeing with it. */
class SpeculativeAcceptanceTest {

    @Test
    void greedyAcceptsTheAgreeingPrefixThenTheFullModelsToken() {
        // targets: the full model's argmax after the last accepted token and after each draft
        assertArrayEquals(new int[] {5, 6, 7, 8}, SpeculativeAcceptance.decideGreedy(new int[] {5, 6, 7}, new int[] {5, 6, 7, 8}));
        assertArrayEquals(new int[] {5, 9}, SpeculativeAcceptance.decideGreedy(new int[] {5, 6, 7}, new int[] {5, 9, 7, 8}));
        assertArrayEquals(new int[] {4}, SpeculativeAcceptance.decideGreedy(new int[] {5, 6, 7}, new int[] {4, 6, 7, 8}));
        assertArrayEquals(new int[] {3}, SpeculativeAcceptance.decideGreedy(new int[0], new int[] {3}));
        assertThrows(IllegalArgumentException.class, () -> SpeculativeAcceptance.decideGreedy(new int[] {1, 2}, new int[] {1, 2}));
    }

    @Test
    void logitsAndIdsGiveTheSameGreedyDecision() {
        float[][] logits = {{0f, 3f, 1f}, {2f, 2f, 0f}, {0f, 0f, 5f}}; // argmax 1, 0 (tie: lowest id), 2
        Sampler greedy = new Sampler(SamplingConfig.GREEDY);
        assertArrayEquals(new int[] {1, 0, 2}, SpeculativeAcceptance.decide(new int[] {1, 0}, new double[2][], logits, greedy));
        assertArrayEquals(new int[] {1, 0}, SpeculativeAcceptance.decide(new int[] {1, 2}, new double[2][], logits, greedy));
    }
}
