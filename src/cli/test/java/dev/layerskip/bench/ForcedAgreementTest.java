package dev.layerskip.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.generate.AutoregressiveGenerator;
import dev.layerskip.generate.DraftLength;
import dev.layerskip.generate.DraftScorer;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.PassCosts;
import dev.layerskip.generate.SelfSpeculativeGenerator;
import dev.layerskip.generate.TokenListener;
import dev.layerskip.model.KvCacheType;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.LlamaWeights;
import dev.layerskip.model.WeightLayout;

import org.junit.jupiter.api.Test;

import java.util.List;

/** Forced agreement makes every draft right; the cost model's formula on literal numbers. */
class ForcedAgreementTest {

    @Test
    void inertLayersMakeEveryDraftAcceptedAndKeepTheOutputExact() {
        LlamaConfig config = TestCheckpoints.tinyConfig();
        for (WeightLayout layout : List.of(WeightLayout.PLAIN, WeightLayout.PACKED)) {
            try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                LlamaModel model = new LlamaModel(manager, config, DataType.FLOAT32, layout, KvCacheType.AUTO);
                LlamaWeights.initRandom(model, manager, 3, 0.3f);
                ForcedAgreement.apply(model, 1);
                GenerationConfig greedy = GenerationConfig.greedy(20, List.of());
                int[] prompt = {1, 7, 9};
                GenerationResult full = new AutoregressiveGenerator(model, null, model.numLayers()).generate(prompt, greedy, TokenListener.NONE);
                GenerationResult exit1 = new AutoregressiveGenerator(model, null, 1).generate(prompt, greedy, TokenListener.NONE);
                assertArrayEquals(full.tokenIds(), exit1.tokenIds(), layout + ": exit 1 equals the full model");
                GenerationResult spec = new SelfSpeculativeGenerator(model, null, 1, new DraftLength.Fixed(4))
                        .generate(prompt, greedy, TokenListener.NONE);
                assertArrayEquals(full.tokenIds(), spec.tokenIds());
                assertEquals(spec.stats().drafted(), spec.stats().accepted(), layout + ": every draft accepted");
                assertTrue(spec.stats().drafted() > 0);
            }
        }
    }

    @Test
    void aRestrictedHeadKeepsRestrictedDraftsAlwaysAcceptedInEveryLayoutAndTieing() {
        for (boolean tied : new boolean[] {true, false}) {
            LlamaConfig c = TestCheckpoints.tinyConfig();
            LlamaConfig config = new LlamaConfig(32, 64, 3, 4, 2, 8, 1e-5, 10000, c.ropeScaling(), tied, 50, 48, 1, List.of(2), "float32");
            for (WeightLayout layout : List.of(WeightLayout.PLAIN, WeightLayout.PACKED)) {
                try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                    LlamaModel model = new LlamaModel(manager, config, DataType.FLOAT32, layout, KvCacheType.AUTO);
                    LlamaWeights.initRandom(model, manager, 5, 0.3f);
                    ForcedAgreement.apply(model, 1);
                    int[] ids = {0, 3, 4, 10, 11, 12, 20, 33, 40, 49};
                    ForcedAgreement.restrictHead(model, ids);
                    float[] head = model.plainHead().toFloatArray(); // [50·32]
                    for (int row = 0; row < 50; row++) {
                        double norm = 0;
                        for (int j = 0; j < 32; j++) {
                            norm += Math.abs(head[row * 32 + j]);
                        }
                        assertEquals(java.util.Arrays.binarySearch(ids, row) >= 0, norm > 0, "row " + row + " kept iff in the set");
                    }
                    GenerationConfig greedy = GenerationConfig.greedy(20, List.of());
                    int[] prompt = {1, 7, 9};
                    GenerationResult full = new AutoregressiveGenerator(model, null, model.numLayers()).generate(prompt, greedy, TokenListener.NONE);
                    for (int t : full.tokenIds()) {
                        assertTrue(java.util.Arrays.binarySearch(ids, t) >= 0, "the full model's token " + t + " lies in the set");
                    }
                    GenerationResult spec = new SelfSpeculativeGenerator(model, null, 1, new DraftLength.Fixed(4),
                            DraftScorer.restricted(model, ids)).generate(prompt, greedy, TokenListener.NONE);
                    assertArrayEquals(full.tokenIds(), spec.tokenIds());
                    assertEquals(spec.stats().drafted(), spec.stats().accepted(), layout + " tied=" + tied + ": every draft accepted");
                }
            }
        }
    }

    @Test
    void agreeFromMustLeaveAtLeastOneLiveLayer() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LlamaModel model = TestCheckpoints.randomModel(manager, TestCheckpoints.tinyConfig(), 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ForcedAgreement.apply(model, 3));
            assertTrue(e.getMessage().contains("--agree-from must be in 1..2, got 3"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> ForcedAgreement.apply(model, 0));
        }
    }

    @Test
    void predictedSpeedupFollowsTheExpectedTokensPerRound() {
        // alpha = 1: (d+1) full steps' worth of tokens for d drafts and one verification.
        assertEquals(5 * 10.0 / (4 * 2.0 + 12.0), PassCosts.predictedSpeedup(10, 2, 12, 4, 1.0), 1e-12);
        // alpha = 0.5, d = 2: expected tokens (1 - 0.5^3) / (1 - 0.5) = 1.75.
        assertEquals(1.75 * 10.0 / (2 * 2.0 + 12.0), PassCosts.predictedSpeedup(10, 2, 12, 2, 0.5), 1e-12);
        // alpha = 0: one token per round.
        assertEquals(10.0 / (3 * 2.0 + 12.0), PassCosts.predictedSpeedup(10, 2, 12, 3, 0.0), 1e-12);
    }
}
