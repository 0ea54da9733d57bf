package dev.layerskip.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.TensorEdit;
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
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;
import dev.layerskip.model.WeightLayout;

import org.junit.jupiter.api.Test;

import java.util.List;

/** Forced agreement makes every draft right; the cost model's formula on literal numbers. */
class ForcedAgreementTest {

    @Test
    void inertLayersMakeEveryDraftAcceptedAndKeepTheOutputExact() {
        LlamaConfig config = TestCheckpoints.tinyConfig();
        for (WeightLayout layout : List.of(WeightLayout.PLAIN, WeightLayout.PACKED, WeightLayout.INT8)) {
            try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                LlamaModel model = new LlamaModel(manager, config, DataType.FLOAT32, layout, KvCacheType.AUTO);
                LlamaWeights.initRandom(model, manager, 3, 0.3f, ForcedAgreement.inertFrom(config, 1));
                assertEverythingAgrees(model, 1, null, layout.toString());
            }
        }
    }

    @Test
    void aRestrictedHeadKeepsRestrictedDraftsAlwaysAcceptedInEveryLayoutAndTieing() {
        int[] ids = {0, 3, 4, 10, 11, 12, 20, 33, 40, 49};
        for (boolean tied : new boolean[] {true, false}) {
            LlamaConfig c = TestCheckpoints.tinyConfig();
            LlamaConfig config = new LlamaConfig(32, 64, 3, 4, 2, 8, 1e-5, 10000, c.ropeScaling(), tied, 50, 48, 1, List.of(2), "float32");
            TensorEdit edit = ForcedAgreement.inertFrom(config, 1).andThen(ForcedAgreement.restrictedHead(config, ids));
            for (WeightLayout layout : List.of(WeightLayout.PLAIN, WeightLayout.PACKED, WeightLayout.INT8)) {
                try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                    LlamaModel model = new LlamaModel(manager, config, DataType.FLOAT32, layout, KvCacheType.AUTO);
                    LlamaWeights.initRandom(model, manager, 5, 0.3f, edit);
                    assertRowsKeptExactlyFor(model.plainHead(), ids, layout + " tied=" + tied);
                    assertEverythingAgrees(model, 1, ids, layout + " tied=" + tied);
                }
            }
        }
    }

    @Test
    void aCheckpointLoadsWithForcedAgreementWithoutItsFilesOrTheOtherWeightsChanging() throws Exception {
        int[] ids = {0, 1, 2, 3, 7, 9, 40, 41, 42, 100, 150, 200, 250, 299};
        LlamaConfig config = dev.layerskip.checkpoint.LlamaConfigJson.read(TestCheckpoints.LLAMA3.resolve("config.json"));
        TensorEdit edit = ForcedAgreement.inertFrom(config, 2).andThen(ForcedAgreement.restrictedHead(config, ids));
        for (String dtype : List.of("bfloat16", "int8")) {
            LoadOptions options = TestCheckpoints.options(dtype, dtype.equals("int8") ? "INT8" : "PLAIN");
            try (LoadedModel plain = LoadedModel.load(TestCheckpoints.LLAMA3, options);
                    LoadedModel agreeing = LoadedModel.load(TestCheckpoints.LLAMA3, options, edit)) {
                LlamaModel a = agreeing.model();
                if (dtype.equals("bfloat16")) {
                    for (int l = 0; l < a.numLayers(); l++) {
                        float[] o = floats(a.layers().get(l).attention().out().getArray());
                        float[] down = floats(a.layers().get(l).mlp().down().getArray());
                        if (l >= 2) {
                            assertEquals(0.0, sumAbs(o) + sumAbs(down), "layer " + l + " is inert");
                        } else {
                            assertArrayEquals(floats(plain.model().layers().get(l).attention().out().getArray()), o);
                            assertArrayEquals(floats(plain.model().layers().get(l).mlp().down().getArray()), down);
                        }
                    }
                    float[] rows = floats(a.plainHead()); // [300·64]
                    float[] unedited = floats(plain.model().plainHead()); // [300·64]
                    for (int row = 0; row < 300; row++) {
                        boolean kept = java.util.Arrays.binarySearch(ids, row) >= 0;
                        for (int j = 0; j < 64; j++) {
                            assertEquals(kept ? unedited[row * 64 + j] : 0f, rows[row * 64 + j], "row " + row);
                        }
                    }
                }
                assertEverythingAgrees(a, 2, ids, dtype);
            }
        }
    }

    @Test
    void agreeFromMustLeaveAtLeastOneLiveLayerAndIdsMustBeTokens() {
        LlamaConfig config = TestCheckpoints.tinyConfig();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ForcedAgreement.inertFrom(config, 3));
        assertEquals("--agree-from must be in 1..2, got 3", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ForcedAgreement.inertFrom(config, 0));
        e = assertThrows(IllegalArgumentException.class, () -> ForcedAgreement.restrictedHead(config, new int[] {1, 50}));
        assertEquals("draft vocabulary id 50 outside 0..49", e.getMessage());
    }

    /** Exit E equals the full model, and self-speculation (over the ids, when given) accepts every draft. */
    private static void assertEverythingAgrees(LlamaModel model, int exit, int[] ids, String label) {
        GenerationConfig greedy = GenerationConfig.greedy(20, List.of());
        int[] prompt = {1, 7, 9};
        GenerationResult full = new AutoregressiveGenerator(model, null, model.numLayers()).generate(prompt, greedy, TokenListener.NONE);
        GenerationResult early = new AutoregressiveGenerator(model, null, exit).generate(prompt, greedy, TokenListener.NONE);
        assertArrayEquals(full.tokenIds(), early.tokenIds(), label + ": exit " + exit + " equals the full model");
        if (ids != null) {
            for (int t : full.tokenIds()) {
                assertTrue(java.util.Arrays.binarySearch(ids, t) >= 0, label + ": the full model's token " + t + " lies in the set");
            }
        }
        SelfSpeculativeGenerator generator = ids == null
                ? new SelfSpeculativeGenerator(model, null, exit, new DraftLength.Fixed(4))
                : new SelfSpeculativeGenerator(model, null, exit, new DraftLength.Fixed(4), DraftScorer.restricted(model, ids));
        GenerationResult spec = generator.generate(prompt, greedy, TokenListener.NONE);
        assertArrayEquals(full.tokenIds(), spec.tokenIds(), label);
        assertEquals(spec.stats().drafted(), spec.stats().accepted(), label + ": every draft accepted");
        assertTrue(spec.stats().drafted() > 0, label);
    }

    /** Rows outside the ids are all zero, rows inside are not. */
    private static void assertRowsKeptExactlyFor(NDArray head, int[] ids, String label) {
        long rows = head.getShape().get(0);
        int width = (int) head.getShape().get(1);
        float[] values = floats(head); // [rows·width]
        for (int row = 0; row < rows; row++) {
            double norm = sumAbs(java.util.Arrays.copyOfRange(values, row * width, (row + 1) * width));
            assertEquals(java.util.Arrays.binarySearch(ids, row) >= 0, norm > 0, label + ": row " + row + " kept iff in the set");
        }
    }

    private static float[] floats(NDArray weight) {
        return weight.toType(DataType.FLOAT32, false).toFloatArray(); // BF16 and int8 rows too
    }

    private static double sumAbs(float[] values) {
        double s = 0;
        for (float v : values) {
            s += Math.abs(v);
        }
        return s;
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
