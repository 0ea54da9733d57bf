package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.checkpoint.TensorDType;

import org.junit.jupiter.api.Test;

import java.util.Set;

/** The weight type the checkpoint and the device decide, and BF16 checkpoints loading without widening. */
class WeightPrecisionTest {

    @Test
    void autoFollowsTheCheckpointWhereTheDeviceComputesIt() {
        // gpu, stored, CPU with BF16 -> type
        assertEquals(DataType.BFLOAT16, WeightPrecision.automatic(false, TensorDType.BF16, true));
        assertEquals(DataType.FLOAT32, WeightPrecision.automatic(false, TensorDType.BF16, false));
        assertEquals(DataType.BFLOAT16, WeightPrecision.automatic(true, TensorDType.BF16, false));
        assertEquals(DataType.FLOAT32, WeightPrecision.automatic(false, TensorDType.F16, true));
        assertEquals(DataType.FLOAT16, WeightPrecision.automatic(true, TensorDType.F16, false));
        assertEquals(DataType.FLOAT32, WeightPrecision.automatic(false, TensorDType.F32, true));
        assertEquals(DataType.FLOAT32, WeightPrecision.automatic(true, TensorDType.F32, true));
        for (TensorDType t : TensorDType.values()) {
            assertEquals(DataType.FLOAT16, WeightPrecision.FLOAT16.resolve(Device.cpu(), t), "an explicit type wins");
        }
    }

    @Test
    void cpuFlagsAreReadFromTheFirstProcessor() {
        String zen4 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu avx2 avx512f avx512_bf16 avx512_vnni\n\n"
                + "processor\t: 1\nflags\t\t: fpu\n";
        String skylake = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512bw\n";
        assertTrue(CpuFeatures.hasAny(CpuFeatures.flags(zen4), CpuFeatures.BF16_FLAGS));
        assertFalse(CpuFeatures.hasAny(CpuFeatures.flags(skylake), CpuFeatures.BF16_FLAGS));
        assertTrue(CpuFeatures.hasAny(Set.of("amx_bf16"), CpuFeatures.BF16_FLAGS));
        assertEquals(Set.of(), CpuFeatures.flags("Features: fp asimd bf16\n"), "aarch64 lists Features, not flags");
    }

    @Test
    void settingsAreParsedAndNamedInErrors() {
        assertEquals(WeightPrecision.AUTO, WeightPrecision.parse("auto", "dtype"));
        assertEquals(WeightPrecision.BFLOAT16, WeightPrecision.parse("bfloat16", "dtype"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WeightPrecision.parse("int4", "argument 'dtype'"));
        assertEquals("argument 'dtype' must be auto, float32, float16, bfloat16 or int8, got 'int4'", e.getMessage());
        assertEquals(WeightPrecision.INT8, WeightPrecision.parse("int8", "dtype"));
        assertEquals(DataType.FLOAT32, WeightPrecision.INT8.resolve(ai.djl.Device.cpu(), TensorDType.BF16), "int8 computes in float32");
        assertEquals(WeightLayout.INT8, WeightPrecision.INT8.layoutFor(WeightLayout.AUTO));
        assertEquals(WeightLayout.PACKED, WeightPrecision.FLOAT32.layoutFor(WeightLayout.PACKED));
        assertEquals("dtype int8 lays its projections out for FBGEMM; the weight layout must be auto, got plain",
                assertThrows(IllegalArgumentException.class, () -> WeightPrecision.INT8.layoutFor(WeightLayout.PLAIN)).getMessage());
        assertEquals("the int8 weight layout comes with dtype int8, got dtype bfloat16",
                assertThrows(IllegalArgumentException.class, () -> WeightPrecision.BFLOAT16.layoutFor(WeightLayout.INT8)).getMessage());
        assertEquals("dtype int8 runs on the CPU only (FBGEMM's int8 kernel), got gpu(0)",
                assertThrows(IllegalArgumentException.class,
                        () -> WeightLayout.INT8.resolve(ai.djl.Device.gpu(), DataType.FLOAT32, TestCheckpoints.tinyConfig())).getMessage());
        assertEquals(WeightPrecision.FLOAT32, WeightPrecision.of(DataType.FLOAT32));
        assertThrows(IllegalArgumentException.class, () -> WeightPrecision.of(DataType.INT8));
    }

    @Test
    void theDefaultsLoadTheBf16FixtureAsBfloat16OnThisCpuAndTheF16DemoAsFloat32() throws Exception {
        try (LoadedModel bf16 = LoadedModel.load(TestCheckpoints.LLAMA3, LoadOptions.CPU_DEFAULTS);
                LoadedModel demo = LoadedModel.load(java.nio.file.Path.of("models/layerskip-demo"), LoadOptions.CPU_DEFAULTS)) {
            assertEquals(TensorDType.BF16, bf16.storedType());
            assertEquals(CpuFeatures.nativeBf16() ? DataType.BFLOAT16 : DataType.FLOAT32, bf16.model().weightType());
            assertEquals(TensorDType.F16, demo.storedType());
            assertEquals(DataType.FLOAT32, demo.model().weightType());
        }
    }

    @Test
    void bf16WeightsEnterUnchangedWhetherKeptOrWidened() throws Exception {
        // the bfloat16 model's values (a view of the file's bits, copied once) equal the exact float32 widening
        try (LoadedModel kept = LoadedModel.load(TestCheckpoints.LLAMA3,
                        new LoadOptions(Device.cpu(), DataType.BFLOAT16, WeightLayout.PLAIN));
                LoadedModel widened = LoadedModel.load(TestCheckpoints.LLAMA3,
                        new LoadOptions(Device.cpu(), DataType.FLOAT32, WeightLayout.PLAIN))) {
            NDArray a = kept.model().embedding().getArray(); // [vocab, hidden] BF16
            NDArray b = widened.model().embedding().getArray(); // [vocab, hidden] FLOAT32
            assertTrue(EngineOps.isBf16(a));
            assertEquals(b.getShape(), a.getShape());
            org.junit.jupiter.api.Assertions.assertArrayEquals(b.toFloatArray(), a.toType(DataType.FLOAT32, false).toFloatArray());
            NDArray qkvKept = kept.model().layers().get(1).attention().qkv().getArray(); // [(h+2kv)·d, hidden]
            NDArray qkvWide = widened.model().layers().get(1).attention().qkv().getArray();
            org.junit.jupiter.api.Assertions.assertArrayEquals(qkvWide.toFloatArray(),
                    qkvKept.toType(DataType.FLOAT32, false).toFloatArray());
        }
    }
}
