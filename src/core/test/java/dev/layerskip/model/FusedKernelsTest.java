package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

import dev.layerskip.TestCheckpoints;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The fused inference kernels ({@link FusedOps}, used when gradients are off) against the DJL
 * composition that training differentiates (used when gradients are on): same logits over a whole
 * sequence (the masked path) and for a cached one-token step (the unmasked path), in every weight
 * type and layout; and RoPE's signed roll against hand-computed values and a batch of rows.
 */
class FusedKernelsTest {

    private static final int[] IDS = {1, 298, 296, 297, 36, 57, 283, 14};

    private static Path fixture(String name) {
        return name.equals("llama3") ? TestCheckpoints.LLAMA3 : TestCheckpoints.LLAMA2;
    }

    /** Runs the supplier with gradients on (the DJL composition), then restores inference mode. */
    private static float[] composed(Supplier<NDArray> run) {
        JniUtils.setGradMode(true);
        try {
            assertEquals(ForwardPath.AUTOGRAD, ForwardPath.forThisThread());
            return run.get().toType(DataType.FLOAT32, false).toFloatArray();
        } finally {
            JniUtils.setGradMode(false);
        }
    }

    private static float[] fused(Supplier<NDArray> run) {
        InferenceMode.enterOnThisThread();
        assertEquals(ForwardPath.FUSED, ForwardPath.forThisThread());
        return run.get().toType(DataType.FLOAT32, false).toFloatArray();
    }

    private static void assertClose(float[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Float.isFinite(actual[i]), what + ": non-finite at " + i);
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]) / Math.max(1.0, Math.abs(expected[i])));
        }
        assertTrue(worst <= tolerance, what + ": worst relative difference " + worst);
    }

    @ParameterizedTest
    @CsvSource({"llama3, FLOAT32, PLAIN", "llama2, FLOAT32, PLAIN", "llama3, FLOAT16, PLAIN", "llama2, FLOAT16, PLAIN",
        "llama3, FLOAT32, PACKED", "llama3, BFLOAT16, PACKED", "llama2, BFLOAT16, PLAIN"})
    void fusedKernelsComputeWhatTheDjlCompositionComputes(String name, DataType type, WeightLayout layout) throws IOException {
        TestCheckpoints.assumePackable(type, layout);
        try (LoadedModel loaded = LoadedModel.load(fixture(name), new LoadOptions(Device.cpu(), type, layout));
                NDManager manager = loaded.manager().newSubManager()) {
            LlamaModel model = loaded.model();
            int layers = model.numLayers();
            // float32: the same arithmetic up to rounding; 16-bit weights: inputs to the products are rounded to 16
            // bits, so a last-bit difference before the rounding can move a value by one 16-bit step (~1e-3)
            double tolerance = type == DataType.FLOAT32 ? 1e-5 : 1e-2;
            NDArray ids = manager.create(IDS).reshape(1, IDS.length); // [1, seq]
            // the whole sequence without a cache: the causal mask is added between two fused calls
            Supplier<NDArray> sequence = () -> model.logits(ids, layers);
            float[] expected = composed(sequence);
            assertClose(expected, fused(sequence), tolerance, name + " " + type + " " + layout + " sequence");
            // the last position as a cached one-token step after a prefill of the others: the unmasked path
            int p = IDS.length - 1;
            Supplier<NDArray> step = () -> {
                try (KvCache cache = new KvCache(manager, model.config(), 1, IDS.length, layers)) {
                    NDArray prompt = ids.get(new NDIndex().addAllDim().addSliceDim(0, p)); // [1, p]
                    model.forwardLayers(model.embed(prompt), 0, layers, cache, 0);
                    cache.commit(p);
                    NDArray last = ids.get(new NDIndex().addAllDim().addSliceDim(p, p + 1)); // [1, 1]
                    return model.exitHead(model.forwardLayers(model.embed(last), 0, layers, cache, p)).duplicate();
                }
            };
            float[] stepExpected = composed(step);
            assertClose(stepExpected, fused(step), tolerance, name + " " + type + " " + layout + " cached step");
            // and the cached step equals the last row of the whole sequence
            int v = model.config().vocabSize();
            float[] lastRow = java.util.Arrays.copyOfRange(expected, p * v, (p + 1) * v);
            assertClose(lastRow, stepExpected, type == DataType.FLOAT32 ? 1e-4 : 2e-2, name + " step vs sequence");
        }
    }

    @Test
    void ropeRotatesHalvesWithHandComputedValues() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            InferenceMode.enterOnThisThread();
            // headDim 4: rotate_half([1, 2, 3, 4]) = [-3, -4, 1, 2]
            NDArray x = m.create(new float[] {1, 2, 3, 4}, new Shape(1, 1, 1, 4));
            NDArray cos = m.create(new float[] {0.5f, 0.25f, 0.5f, 0.25f}, new Shape(1, 1, 1, 4));
            NDArray sin = m.create(new float[] {2f, 3f, 2f, 3f}, new Shape(1, 1, 1, 4));
            NDArray sign = m.create(new float[] {-1, -1, 1, 1});
            float[] out = FusedOps.rope(x, cos, sin, sign).toFloatArray();
            // x·cos + rotate_half(x)·sin = [0.5 - 6, 0.5 - 12, 1.5 + 2, 1 + 6]
            assertArrayEquals(new float[] {-5.5f, -11.5f, 3.5f, 7f}, out, 1e-6f);
        }
    }

    @Test
    void ropeBroadcastsTablesOverBatchAndHeadsAsTheMatrixFormulationDoes() throws IOException {
        try (LoadedModel loaded = LoadedModel.load(TestCheckpoints.LLAMA3, LoadOptions.CPU_FLOAT32);
                NDManager m = loaded.manager().newSubManager()) {
            m.getEngine().setRandomSeed(11);
            Rope rope = new Rope(m, loaded.model().config());
            int d = loaded.model().config().headDim();
            NDArray x = m.randomNormal(new Shape(3, 5, 6, d)); // [batch, seq, heads, headDim]
            NDArray[] shared = rope.tables(m, 7, 5); // [1, 5, 1, headDim]
            float[] expected = composed(() -> rope.apply(x, shared, ForwardPath.AUTOGRAD));
            assertClose(expected, fused(() -> rope.apply(x, shared, ForwardPath.FUSED)), 1e-6, "tables shared by the batch");
            // per-row tables [batch, seq, 1, headDim] (positions differing by row) broadcast the same way
            NDArray cos = shared[0].repeat(0, 3);
            NDArray sin = shared[1].repeat(0, 3);
            assertEquals(new Shape(3, 5, 1, d), cos.getShape());
            assertClose(expected, fused(() -> rope.apply(x, new NDArray[] {cos, sin}, ForwardPath.FUSED)), 1e-6, "per-row tables");
        }
    }
}
