package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.checkpoint.CheckpointException;
import dev.layerskip.checkpoint.CompressedTensorsInt8;
import dev.layerskip.checkpoint.HfCheckpoint;
import dev.layerskip.checkpoint.LlamaConfigJson;
import dev.layerskip.checkpoint.SafetensorsFile;
import dev.layerskip.checkpoint.TensorDType;
import dev.layerskip.checkpoint.TensorInfo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/**
 * Int8 checkpoints (issue 21): {@code quantize} writes compressed-tensors' int-quantized layout, which loads without
 * quantizing again and computes exactly what quantizing the float checkpoint at load computes; 127-level int8 weights
 * from other tools load re-quantized; damaged scales are refused naming tensor and row.
 */
class Int8CheckpointTest {

    private static final int[] PROMPT = {1, 7, 3, 22, 9, 14, 2, 31};
    private static final LoadOptions INT8 = new LoadOptions(Device.cpu(), WeightPrecision.INT8, WeightLayout.AUTO);
    private static final LoadOptions AUTO = new LoadOptions(Device.cpu(), WeightPrecision.AUTO, WeightLayout.AUTO);

    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama3", "tiny-llama2"}) // tied and untied heads; the source is sharded
    void writtenCheckpointLoadsAsStoredAndComputesExactlyTheQuantizedAtLoadLogits(String fixture) throws IOException {
        Path source = Path.of("src/core/test/resources/fixtures", fixture);
        Path target = dir.resolve("int8");
        long bytes = Int8Checkpoints.write(source, target);
        assertEquals(Files.size(target.resolve(HfCheckpoint.SINGLE_FILE)), bytes);
        try (var files = Files.list(source)) {
            for (Path f : files.toList()) { // tokenizer, generation config, goldens: copied as they are
                String n = f.getFileName().toString();
                if (!n.endsWith(".safetensors") && !n.equals(HfCheckpoint.INDEX_FILE) && !n.equals("config.json")) {
                    assertEquals(-1L, Files.mismatch(f, target.resolve(n)), n);
                }
            }
        }
        TensorDType embedding;
        try (HfCheckpoint c = HfCheckpoint.open(source)) {
            embedding = c.info("model.embed_tokens.weight").dtype();
        }
        try (HfCheckpoint c = HfCheckpoint.open(target)) {
            assertFalse(c.int8Storage().headQuantized(), "lm_head is left to its float type, as llm-compressor does");
            for (String name : Int8Checkpoints.int8Weights(c.config(), c.int8Storage())) {
                TensorInfo w = c.info(name);
                TensorInfo s = c.info(CompressedTensorsInt8.scaleOf(name));
                assertEquals(TensorDType.I8, w.dtype(), name);
                assertEquals(TensorDType.F32, s.dtype(), name);
                assertArrayEquals(new long[] {w.shape()[0], 1}, s.shape(), name);
            }
            assertEquals(embedding, c.info("model.embed_tokens.weight").dtype(), "the embedding keeps its type");
        }
        float[][] atLoad = logits(source, INT8);
        float[][] stored = logits(target, AUTO); // auto takes the stored int8
        for (int e = 0; e < atLoad.length; e++) {
            assertArrayEquals(atLoad[e], stored[e], 0f, "exit " + (e + 1));
        }
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> LoadedModel.load(target, new LoadOptions(Device.cpu(), DataType.FLOAT32)).close());
        assertTrue(e.getMessage().contains("stores int8 weights (config.json's quantization_config, compressed-tensors"
                + " int-quantized); load it with dtype int8 or auto"), e.getMessage());
        CheckpointException again = assertThrows(CheckpointException.class, () -> Int8Checkpoints.write(target, dir.resolve("x")));
        assertTrue(again.getMessage().contains("is already an int8 checkpoint"), again.getMessage());
        CheckpointException occupied = assertThrows(CheckpointException.class, () -> Int8Checkpoints.write(source, target));
        assertTrue(occupied.getMessage().contains("exists and is not an empty directory"), occupied.getMessage());
    }

    @Test
    void weightsOf127LevelsLoadQuantizedAgainToTheKernelsRange() throws IOException {
        Path source = Path.of("src/core/test/resources/fixtures/tiny-llama3");
        Path target = dir.resolve("int8");
        Int8Checkpoints.write(source, target);
        String name = "model.layers.1.mlp.down_proj.weight";
        // as llm-compressor writes it: q' = round(q * 127 / 64), scale' = scale * 64 / 127 (the same weights, 127 levels)
        rewrite(target, name, TensorDType.I8, b -> (byte) Math.round(b * 127.0 / 64));
        rewrite(target, CompressedTensorsInt8.scaleOf(name), TensorDType.F32, null);
        // Quantized again from q' * scale', every row (whose largest |q| is 64) recovers its 64-level q exactly; kept as
        // stored, 127-level rows would saturate the kernel's 16-bit pair sums and give other logits.
        float[][] original = logits(source, INT8);
        float[][] wide = logits(target, AUTO);
        for (int e = 0; e < original.length; e++) {
            assertArrayEquals(original[e], wide[e], 0f, "exit " + (e + 1));
        }
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            NDArray q = m.create(new byte[] {127, -3, 40, -127, 0, 64}).reshape(2, 3); // [2, 3] int8
            NDArray s = m.create(new float[] {0.5f, 0.25f}); // [2]
            var ready = Int8Weights.fromStored(q, s, r -> "w: row " + r);
            assertArrayEquals(new byte[] {64, -2, 20, -64, 0, 32}, ready.get(0).toByteArray());
            assertArrayEquals(new float[] {127 * 0.5f / 64, 127 * 0.25f / 64}, ready.get(1).toFloatArray(), 1e-7f);
        }
    }

    @Test
    void damagedScalesAreRefusedNamingTheTensorAndRow() throws IOException {
        Random random = new Random(21);
        float[] damage = {0f, -0.5f, Float.NaN, Float.POSITIVE_INFINITY, -Float.MIN_VALUE};
        String[] linear = {"self_attn.q_proj", "self_attn.k_proj", "self_attn.o_proj", "mlp.up_proj", "mlp.down_proj"};
        Path clean = dir.resolve("clean");
        Int8Checkpoints.write(Path.of("src/core/test/resources/fixtures/tiny-llama3"), clean);
        for (int c = 0; c < 10; c++) {
            Path ckpt = dir.resolve("damaged-" + c);
            copyDir(clean, ckpt);
            String weight = "model.layers." + random.nextInt(3) + "." + linear[random.nextInt(linear.length)] + ".weight";
            String scale = CompressedTensorsInt8.scaleOf(weight);
            TensorInfo info;
            try (SafetensorsFile f = SafetensorsFile.open(ckpt.resolve(HfCheckpoint.SINGLE_FILE))) {
                info = f.tensors().get(scale);
            }
            int row = random.nextInt((int) info.shape()[0]);
            float bad = damage[c % damage.length];
            pokeFloat(ckpt.resolve(HfCheckpoint.SINGLE_FILE), info, row, bad);
            CheckpointException e = assertThrows(CheckpointException.class, () -> LoadedModel.load(ckpt, AUTO).close());
            String expected = Float.isFinite(bad)
                    ? weight + ": row " + row + " has int8 scale " + bad + "; scales must be positive and finite"
                    : "tensor '" + scale + "' holds 1 non-finite value (NaN or infinity), the first at row " + row;
            assertTrue(e.getMessage().contains(expected), e.getMessage());
        }
    }

    @Test
    void int8TensorsWithoutAQuantizationConfigAndAConfigWithoutInt8TensorsAreRefused() throws IOException {
        Path int8 = dir.resolve("int8");
        Int8Checkpoints.write(Path.of("src/core/test/resources/fixtures/tiny-llama3"), int8);
        var config = LlamaConfigJson.readObject(int8.resolve("config.json"));
        config.remove("quantization_config");
        Files.writeString(int8.resolve("config.json"), config.toString());
        CheckpointException e = assertThrows(CheckpointException.class, () -> LoadedModel.load(int8, AUTO).close());
        assertTrue(e.getMessage().contains("that config.json does not use: model.layers.0.self_attn.q_proj.weight_scale"),
                e.getMessage());
        Path floats = dir.resolve("floats");
        copyDir(Path.of("src/core/test/resources/fixtures/tiny-llama3"), floats);
        var withQuantization = LlamaConfigJson.readObject(floats.resolve("config.json"));
        withQuantization.add("quantization_config", CompressedTensorsInt8.PROJECTIONS_ONLY.toJson());
        Files.writeString(floats.resolve("config.json"), withQuantization.toString());
        CheckpointException f = assertThrows(CheckpointException.class, () -> LoadedModel.load(floats, AUTO).close());
        assertTrue(f.getMessage().contains("missing tensor 'model.layers.0.self_attn.q_proj.weight_scale'"), f.getMessage());
    }

    /** Logits of the prompt at every exit, [exit][seq·vocab]. */
    private static float[][] logits(Path checkpoint, LoadOptions options) throws IOException {
        try (LoadedModel loaded = LoadedModel.load(checkpoint, options); NDManager m = loaded.manager().newSubManager()) {
            InferenceMode.enterOnThisThread();
            assertEquals(WeightLayout.INT8, loaded.model().layout());
            float[][] out = new float[loaded.model().numLayers()][];
            for (int exit = 1; exit <= out.length; exit++) {
                NDArray ids = m.create(PROMPT).reshape(1, PROMPT.length); // [1, seq]
                out[exit - 1] = loaded.model().logits(ids, exit).toFloatArray(); // [seq·vocab]
            }
            return out;
        }
    }

    /** Rewrites one tensor in place: int8 values through {@code map}; an F32 scale multiplied by 64 / 127. */
    private static void rewrite(Path ckpt, String name, TensorDType dtype, java.util.function.IntUnaryOperator map)
            throws IOException {
        Path file = ckpt.resolve(HfCheckpoint.SINGLE_FILE);
        TensorInfo info;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            info = f.tensors().get(name);
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long start = dataStart(ch) + info.begin();
            ByteBuffer b = ByteBuffer.allocate((int) info.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, start);
            b.flip();
            for (int i = 0; i < b.limit(); i += dtype.bytes()) {
                if (dtype == TensorDType.I8) {
                    b.put(i, (byte) map.applyAsInt(b.get(i)));
                } else {
                    b.putFloat(i, b.getFloat(i) * 64f / 127f);
                }
            }
            ch.write(b, start);
        }
    }

    private static void pokeFloat(Path file, TensorInfo info, long element, float value) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(value);
            b.flip();
            ch.write(b, dataStart(ch) + info.begin() + element * 4);
        }
    }

    private static long dataStart(FileChannel ch) throws IOException {
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(len, 0);
        return 8 + len.flip().getLong();
    }

    private static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path p : files.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }
}
