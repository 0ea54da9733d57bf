package dev.layerskip.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.WeightLayout;
import dev.layerskip.model.WeightPrecision;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded generated damage: NaN, +Inf or -Inf written into a random element of a random tensor of a
 * checkpoint stored as F32, F16 or BF16, loaded as FLOAT32, FLOAT16 or int8. Loading must fail naming the
 * tensor; large but finite weights (whose sum overflows FLOAT16) must still load.
 */
class NonFiniteWeightsTest {

    @TempDir Path dir;

    /** The bit patterns of NaN, +Inf, -Inf for F32, F16, BF16. */
    private static long bits(TensorDType dtype, int kind) {
        return switch (dtype) {
            case F32 -> new long[] {0x7FC00000L, 0x7F800000L, 0xFF800000L}[kind];
            case F16 -> new long[] {0x7E00, 0x7C00, 0xFC00}[kind];
            case BF16 -> new long[] {0x7FC0, 0x7F80, 0xFF80}[kind];
            case I8 -> throw new IllegalArgumentException("int8 has no NaN or infinity");
        };
    }

    private static void poke(Path file, TensorInfo info, long element, TensorDType dtype, long value) throws IOException {
        long headerLen;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            headerLen = len.getLong(0);
            int size = dtype.bytes();
            ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
            if (size == 4) {
                b.putInt((int) value);
            } else {
                b.putShort((short) value);
            }
            b.flip();
            ch.write(b, 8 + headerLen + info.begin() + element * size);
        }
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTheTensor() throws IOException {
        Random random = new Random(7);
        List<String> failures = new ArrayList<>();
        int cases = 0;
        for (TensorDType dtype : List.of(TensorDType.F32, TensorDType.F16, TensorDType.BF16)) { // I8: no NaN
            Path clean = dir.resolve("clean-" + dtype);
            TestCheckpoints.writeRandom(clean, TestCheckpoints.tinyConfig(), dtype, Long.MAX_VALUE);
            List<TensorInfo> tensors;
            try (SafetensorsFile f = SafetensorsFile.open(clean.resolve("model.safetensors"))) {
                tensors = new ArrayList<>(f.tensors().values());
            }
            for (int i = 0; i < 8; i++) {
                TensorInfo t = tensors.get(random.nextInt(tensors.size()));
                long element = (long) (random.nextDouble() * t.elementCount());
                int kind = random.nextInt(3);
                int choice = random.nextInt(3);
                LoadOptions load = choice == 2 ? new LoadOptions(Device.cpu(), WeightPrecision.INT8, WeightLayout.AUTO)
                        : new LoadOptions(Device.cpu(), choice == 0 ? DataType.FLOAT32 : DataType.FLOAT16);
                Path ckpt = dir.resolve("bad-" + cases++);
                copy(clean, ckpt);
                poke(ckpt.resolve("model.safetensors"), t, element, dtype, bits(dtype, kind));
                String message;
                try (LoadedModel m = LoadedModel.load(ckpt, load)) {
                    message = null;
                } catch (CheckpointException e) {
                    message = e.getMessage();
                }
                if (message == null || !message.contains("tensor '" + t.name() + "' holds 1 non-finite value")) {
                    failures.add(dtype + " " + t.name() + "[" + element + "] kind " + kind + " as " + load.precision() + " -> " + message);
                }
            }
        }
        assertEquals(24, cases);
        assertEquals("", String.join("\n", failures));
    }

    @Test
    void anUntiedModelsEmbeddingIsCheckedThoughItsRowsStayInTheFile() throws IOException {
        LlamaConfig t = TestCheckpoints.tinyConfig();
        LlamaConfig untied = new LlamaConfig(t.hiddenSize(), t.intermediateSize(), t.numLayers(), t.numHeads(),
                t.numKvHeads(), t.headDim(), t.rmsNormEps(), t.ropeTheta(), t.ropeScaling(), false, t.vocabSize(),
                t.maxPositions(), t.bosTokenId(), t.eosTokenIds(), t.torchDtype());
        Path ckpt = dir.resolve("untied");
        TestCheckpoints.writeRandom(ckpt, untied, TensorDType.F32, Long.MAX_VALUE);
        TensorInfo embed;
        try (SafetensorsFile f = SafetensorsFile.open(ckpt.resolve("model.safetensors"))) {
            embed = f.tensors().get("model.embed_tokens.weight");
        }
        poke(ckpt.resolve("model.safetensors"), embed, 77, TensorDType.F32, bits(TensorDType.F32, 0));
        for (LoadOptions load : List.of(new LoadOptions(Device.cpu(), DataType.FLOAT32, WeightLayout.PACKED),
                new LoadOptions(Device.cpu(), WeightPrecision.INT8, WeightLayout.AUTO))) {
            CheckpointException e = assertThrows(CheckpointException.class,
                    () -> LoadedModel.load(ckpt, load).close());
            assertTrue(e.getMessage().contains("tensor 'model.embed_tokens.weight' holds 1 non-finite value"), e.getMessage());
        }
    }

    @Test
    void largeFiniteWeightsStillLoadInFloat16() throws IOException {
        Path ckpt = dir.resolve("large");
        TestCheckpoints.writeRandom(ckpt, TestCheckpoints.tinyConfig(), TensorDType.F16, Long.MAX_VALUE);
        TensorInfo embed;
        try (SafetensorsFile f = SafetensorsFile.open(ckpt.resolve("model.safetensors"))) {
            embed = f.tensors().get("model.embed_tokens.weight");
        }
        for (long e = 0; e < 64; e++) {
            poke(ckpt.resolve("model.safetensors"), embed, e, TensorDType.F16, 0x7BFF); // 65504, the largest F16
        }
        try (LoadedModel m = LoadedModel.load(ckpt, new LoadOptions(Device.cpu(), DataType.FLOAT16))) {
            assertEquals(65504f, m.model().embedding().getArray().get(0, 0).toType(DataType.FLOAT32, false).getFloat());
        }
        assertTrue(Files.isDirectory(ckpt));
    }

    @Test
    void anInt8LoadRefusesARowWhoseScaleWouldUnderflowNamingItAndLoadsZeroTensors() throws IOException {
        Random random = new Random(11);
        String[] projections = {"self_attn.o_proj.weight", "mlp.down_proj.weight", "mlp.gate_proj.weight"};
        LoadOptions int8 = new LoadOptions(Device.cpu(), WeightPrecision.INT8, WeightLayout.AUTO);
        for (int i = 0; i < 6; i++) {
            Path ckpt = dir.resolve("tiny-" + i);
            TestCheckpoints.writeRandom(ckpt, TestCheckpoints.tinyConfig(), TensorDType.F32, Long.MAX_VALUE);
            int layer = random.nextInt(TestCheckpoints.tinyConfig().numLayers());
            String name = "model.layers." + layer + "." + projections[i % 3];
            TensorInfo t;
            try (SafetensorsFile f = SafetensorsFile.open(ckpt.resolve("model.safetensors"))) {
                t = f.tensors().get(name);
            }
            long columns = t.shape()[1];
            boolean zeroTensor = i >= 3; // a whole tensor of zeros quantizes exactly; tiny nonzero values do not
            long row = random.nextInt((int) t.shape()[0]);
            for (long e = zeroTensor ? 0 : row * columns; e < (zeroTensor ? t.elementCount() : (row + 1) * columns); e++) {
                poke(ckpt.resolve("model.safetensors"), t, e, TensorDType.F32, zeroTensor ? 0 : Float.floatToIntBits(1e-40f));
            }
            try (LoadedModel m = LoadedModel.load(ckpt, new LoadOptions(Device.cpu(), DataType.FLOAT32))) {
                assertEquals(TestCheckpoints.tinyConfig().numLayers(), m.model().numLayers(), "float32 loads it");
            }
            if (zeroTensor) {
                try (LoadedModel m = LoadedModel.load(ckpt, int8)) {
                    assertEquals(WeightLayout.INT8, m.model().layout());
                }
            } else {
                CheckpointException e = assertThrows(CheckpointException.class, () -> LoadedModel.load(ckpt, int8));
                assertTrue(e.getMessage().contains(name + ": row " + row + " has values no larger than 1.0E-40, so its int8"
                        + " scale would underflow float32"), e.getMessage());
            }
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path p : files.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }
}
