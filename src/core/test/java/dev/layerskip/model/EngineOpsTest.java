package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.checkpoint.TensorDType;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

/** BF16 tensors and oneDNN-packed products through the TorchScript helper. */
class EngineOpsTest {

    @Test
    void bf16RoundsToNearestEvenAndBack() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            // 1 + 2^-8 is halfway between two BF16 values (1 and 1 + 2^-7): ties go to even (1).
            float[] in = {1.5f, -2.25f, 1f + 1f / 256, 1f + 3f / 256, 3.0e38f, 1e-40f};
            NDArray b = EngineOps.toBf16(m.create(in));
            assertTrue(EngineOps.isBf16(b));
            assertEquals(DataType.UNKNOWN, b.getDataType());
            float[] back = b.toType(DataType.FLOAT32, false).toFloatArray();
            assertArrayEquals(new float[] {1.5f, -2.25f, 1f, 1f + 4f / 256}, java.util.Arrays.copyOf(back, 4), 0f);
            for (int i = 0; i < in.length; i++) {
                assertEquals(roundToBf16(in[i]), back[i], 0f, "value " + in[i]);
            }
        }
    }

    /** Round to nearest even on the upper 16 bits of a float's bits (finite inputs). */
    private static float roundToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xFFFF0000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"float32", "bfloat16"})
    void packedRowsAreBitIdenticalWhateverTheRowCount(String type) {
        TestCheckpoints.assumePackable(type.equals("bfloat16") ? DataType.BFLOAT16 : DataType.FLOAT32, WeightLayout.PACKED);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            m.getEngine().setRandomSeed(7);
            NDArray w = m.randomNormal(new Shape(96, 64)); // [out, in]
            if (type.equals("bfloat16")) {
                w = EngineOps.toBf16(w);
            }
            NDArray packed = EngineOps.pack(w);
            NDArray x = m.randomNormal(new Shape(1, 9, 64)); // [1, rows, in]
            float[] all = EngineOps.linearPacked(x, packed).toFloatArray(); // [1, 9, 96]
            for (int r = 0; r < 9; r++) {
                NDArray row = x.get(":, " + r + ":" + (r + 1) + ", :"); // [1, 1, in]
                float[] one = EngineOps.linearPacked(row, packed).toFloatArray();
                float[] expected = java.util.Arrays.copyOfRange(all, r * 96, (r + 1) * 96);
                assertArrayEquals(expected, one, 0f, type + " row " + r);
            }
            // And the products are the plain ones up to rounding.
            float[] plain = EngineOps.linear(x, w).toFloatArray();
            for (int i = 0; i < all.length; i++) {
                assertEquals(plain[i], all[i], type.equals("float32") ? 1e-4 : 0.05 * Math.max(1, Math.abs(plain[i])), "element " + i);
            }
        }
    }

    @Test
    void bf16LoadOfABf16CheckpointIsExact() throws IOException {
        try (LoadedModel f32 = LoadedModel.load(TestCheckpoints.LLAMA3, new LoadOptions(Device.cpu(), DataType.FLOAT32, WeightLayout.PLAIN));
                LoadedModel bf16 = LoadedModel.load(TestCheckpoints.LLAMA3, new LoadOptions(Device.cpu(), DataType.BFLOAT16, WeightLayout.PLAIN))) {
            assertEquals(TensorDType.BF16, f32.storedType());
            assertTrue(EngineOps.isBf16(bf16.model().embedding().getArray()));
            assertArrayEquals(f32.model().embedding().getArray().toFloatArray(),
                    bf16.model().embedding().getArray().toType(DataType.FLOAT32, false).toFloatArray(), 0f);
            NDArray q32 = f32.model().layers().get(1).attention().qkv().getArray();
            NDArray qb = bf16.model().layers().get(1).attention().qkv().getArray();
            assertArrayEquals(q32.toFloatArray(), qb.toType(DataType.FLOAT32, false).toFloatArray(), 0f);
        }
    }

    @Test
    void packedLayoutIsRefusedWhereItCannotWork() {
        var config = TestCheckpoints.tinyConfig();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeightLayout.PACKED.resolve(Device.cpu(), DataType.FLOAT16, config));
        assertTrue(e.getMessage().contains("'packed' needs the CPU and float32 or bfloat16"), e.getMessage());
        // auto packs at every size (inference runs its products inside the fused helper calls): hidden 32 too
        assertEquals(WeightLayout.PACKED, WeightLayout.AUTO.resolve(Device.cpu(), DataType.FLOAT32, config));
        assertEquals(WeightLayout.PLAIN, WeightLayout.AUTO.resolve(Device.cpu(), DataType.FLOAT16, config));
        if (WeightLayout.canPack(DataType.BFLOAT16)) {
            assertEquals(WeightLayout.PACKED, WeightLayout.PACKED.resolve(Device.cpu(), DataType.BFLOAT16, config));
            assertEquals(WeightLayout.PACKED, WeightLayout.AUTO.resolve(Device.cpu(), DataType.BFLOAT16, config));
        } else { // a CPU without AVX-512: asked for, packing is refused by name; auto keeps bfloat16 plain
            IllegalArgumentException bf16 = assertThrows(IllegalArgumentException.class,
                    () -> WeightLayout.PACKED.resolve(Device.cpu(), DataType.BFLOAT16, config));
            assertTrue(bf16.getMessage().contains("cannot pack bfloat16 weights (bfloat16 needs AVX-512)"), bf16.getMessage());
            assertEquals(WeightLayout.PLAIN, WeightLayout.AUTO.resolve(Device.cpu(), DataType.BFLOAT16, config));
        }
        assertThrows(IllegalArgumentException.class, () -> new LlamaModel(null, config, DataType.FLOAT32, WeightLayout.AUTO, KvCacheType.AUTO));
    }

    @Test
    void packedAndInt8ModelsCannotBeSaved() throws IOException {
        for (LoadOptions options : new LoadOptions[] {new LoadOptions(Device.cpu(), DataType.FLOAT32, WeightLayout.PACKED),
                new LoadOptions(Device.cpu(), WeightPrecision.INT8, WeightLayout.AUTO)}) {
            try (LoadedModel laidOut = LoadedModel.load(TestCheckpoints.LLAMA2, options)) {
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> LlamaWeights.toHf(laidOut.model(), TensorDType.F32));
                assertTrue(e.getMessage().contains("laid out for inference and cannot be saved"), e.getMessage());
            }
        }
    }

    @Test
    void longFloat16PassesMultiplyInFloat32FromTheExactlyWidenedWeight() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            ai.djl.pytorch.jni.JniUtils.setGradMode(false); // the helper's fused calls run without gradients
            NDArray w16 = m.randomNormal(0, 1, new Shape(384, 256), DataType.FLOAT32).toType(DataType.FLOAT16, false); // [out, in]
            NDArray w32 = w16.toType(DataType.FLOAT32, false); // exact: every float16 is a float32
            NDArray normWeight = m.ones(new Shape(256)); // [in]
            for (int rows : new int[] {1, 5, 127, 128, 129, 300}) {
                NDArray x = m.randomNormal(0, 1, new Shape(1, rows, 256), DataType.FLOAT32); // [1, rows, in]
                NDArray y = FusedOps.normProject(x, normWeight, new PlainProjection(() -> w16), 1e-5); // [1, rows, out]
                NDArray n = x.div(x.square().mean(new int[] {-1}, true).add(1e-5).sqrt()); // [1, rows, in]
                NDArray reference = ai.djl.nn.core.Linear.linear(n, w32).singletonOrThrow(); // [1, rows, out]
                double error = y.sub(reference).abs().max().getFloat() / reference.abs().max().getFloat();
                if (rows >= 128) {
                    assertTrue(error < 1e-5, rows + " rows: float32 arithmetic expected, relative error " + error);
                } else {
                    assertTrue(error > 1e-5 && error < 2e-3, rows + " rows: float16 arithmetic expected, relative error " + error);
                }
            }
        }
    }

    @Test
    void int8WeightOnlyProductIsTheDequantizedProduct() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
            NDArray w = m.randomNormal(0, 0.02f, new Shape(96, 64), DataType.FLOAT32); // [out, in]
            NDArray scales = w.abs().max(new int[] {1}).div(127f); // [out]
            NDArray q = w.div(scales.reshape(-1, 1)).round().clip(-128, 127).toType(DataType.INT8, false); // [out, in]
            NDArray dequantized = q.toType(DataType.FLOAT32, false).mul(scales.reshape(-1, 1)); // [out, in]
            for (int rows : new int[] {1, 9}) {
                NDArray x = m.randomNormal(0, 1, new Shape(1, rows, 64), DataType.FLOAT32); // [1, rows, in]
                NDArray y = EngineOps.linearInt8(x, q, scales); // [1, rows, out]
                NDArray reference = ai.djl.nn.core.Linear.linear(x, dequantized).singletonOrThrow(); // [1, rows, out]
                assertEquals(new Shape(1, rows, 96), y.getShape());
                double error = y.sub(reference).abs().max().getFloat() / reference.abs().max().getFloat();
                assertTrue(error < 1e-5, rows + " rows: relative error " + error);
            }
        }
    }
}
