package dev.layerskip.checkpoint;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Every kind of bad checkpoint gives a CheckpointException naming the file and the problem. */
class BadCheckpointTest {

    @TempDir Path dir;

    private void assertRejected(Path checkpoint, String... fragments) {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> LoadedModel.load(checkpoint, LoadOptions.CPU_FLOAT32).close());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
    }

    private Path validCheckpoint() throws IOException {
        Path ckpt = dir.resolve("ckpt");
        TestCheckpoints.writeRandom(ckpt, TestCheckpoints.tinyConfig(), TensorDType.F32, Long.MAX_VALUE);
        return ckpt;
    }

    private void editConfig(Path ckpt, String from, String to) throws IOException {
        Path config = ckpt.resolve("config.json");
        String s = Files.readString(config);
        assertTrue(s.contains(from), "config lacks " + from);
        Files.writeString(config, s.replace(from, to));
    }

    @Test
    void validCheckpointLoads() throws IOException {
        try (LoadedModel m = LoadedModel.load(validCheckpoint(), LoadOptions.CPU_FLOAT32)) {
            assertTrue(m.model().numLayers() == 3);
        }
    }

    @Test
    void missingConfig() throws IOException {
        Path ckpt = validCheckpoint();
        Files.delete(ckpt.resolve("config.json"));
        assertRejected(ckpt, "config.json", "file not found");
    }

    @Test
    void malformedConfig() throws IOException {
        Path ckpt = validCheckpoint();
        Files.writeString(ckpt.resolve("config.json"), "{\"hidden_size\": 32,");
        assertRejected(ckpt, "config.json", "malformed JSON");
    }

    @Test
    void missingField() throws IOException {
        Path ckpt = validCheckpoint();
        editConfig(ckpt, "\"vocab_size\"", "\"vocab_sizes\"");
        assertRejected(ckpt, "config.json", "required field 'vocab_size' is missing");
    }

    @Test
    void wrongFieldType() throws IOException {
        Path ckpt = validCheckpoint();
        editConfig(ckpt, "\"num_hidden_layers\": 3", "\"num_hidden_layers\": \"three\"");
        assertRejected(ckpt, "config.json", "'num_hidden_layers' must be an integer");
    }

    @Test
    void unknownArchitecture() throws IOException {
        Path ckpt = validCheckpoint();
        editConfig(ckpt, "LlamaForCausalLM", "MistralForCausalLM");
        assertRejected(ckpt, "config.json", "unsupported architecture 'MistralForCausalLM'");
    }

    @Test
    void unknownRopeType() throws IOException {
        Path ckpt = validCheckpoint();
        editConfig(ckpt, "\"tie_word_embeddings\"", "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0},\n  \"tie_word_embeddings\"");
        assertRejected(ckpt, "config.json", "unsupported rope_scaling type 'yarn'");
    }

    @Test
    void shapeThatDoesNotMatchTheConfig() throws IOException {
        Path ckpt = validCheckpoint();
        editConfig(ckpt, "\"intermediate_size\": 64", "\"intermediate_size\": 65");
        assertRejected(ckpt, "model.safetensors", "mlp.gate_proj.weight", "[64, 32]", "[65, 32]");
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path ckpt = validCheckpoint();
        editConfig(ckpt, "\"tie_word_embeddings\": true", "\"tie_word_embeddings\": false");
        assertRejected(ckpt, "missing tensor 'lm_head.weight'");
    }

    @Test
    void headerLengthPastTheEnd() throws IOException {
        Path file = dir.resolve("model.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1_000_000).putLong(0);
        Files.write(file, b.array());
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().contains("header length 1000000 runs past the end of the file (16 bytes)"), e.getMessage());
    }

    @Test
    void offsetsOutOfRange() throws IOException {
        Path file = rawSafetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().contains("tensor 'a'") && e.getMessage().contains("past the data section"), e.getMessage());
    }

    @Test
    void overlappingTensors() throws IOException {
        Path file = rawSafetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16);
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().contains("tensors 'a' and 'b' overlap"), e.getMessage());
    }

    @Test
    void unsupportedDtype() throws IOException {
        Path file = rawSafetensors("{\"a\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 8);
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().contains("tensor 'a': unsupported dtype 'I16'"), e.getMessage());
    }

    @Test
    void offsetsThatDoNotMatchTheShape() throws IOException {
        Path file = rawSafetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 16);
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().contains("cover 8 bytes but shape [3] of F32 needs 12"), e.getMessage());
    }

    @Test
    void indexNamingAMissingShard() throws IOException {
        Path ckpt = dir.resolve("sharded");
        TestCheckpoints.writeRandom(ckpt, TestCheckpoints.tinyConfig(), TensorDType.BF16, 20_000);
        Path second;
        try (var files = Files.list(ckpt)) {
            second = files.filter(p -> p.getFileName().toString().startsWith("model-00002-of-")).findFirst().orElseThrow();
        }
        Files.delete(second);
        assertRejected(ckpt, "model.safetensors.index.json", second.getFileName().toString(), "does not exist");
    }

    @Test
    void noWeightsAtAll() throws IOException {
        Path ckpt = validCheckpoint();
        Files.delete(ckpt.resolve("model.safetensors"));
        assertRejected(ckpt, "no model.safetensors or model.safetensors.index.json");
    }

    @Test
    void writerRoundTripsEveryFloatDtype() throws IOException {
        for (TensorDType t : TensorDType.values()) {
            if (!t.isFloat()) {
                continue; // int8 tensors are written from int8 arrays (Int8CheckpointTest)
            }
            Path file = dir.resolve(t + ".safetensors");
            float[] values = {1f, -2.5f, 0.25f, 3f, 1024f, -0.125f};
            SafetensorsWriter.write(file, List.of(SafetensorsWriter.Entry.of("w", t, new long[] {2, 3}, values)), Map.of());
            try (SafetensorsFile reader = SafetensorsFile.open(file); NDManager m = NDManager.newBaseManager("PyTorch")) {
                TensorInfo info = reader.tensors().get("w");
                // read back as the loader sees the mapped bytes: F32/F16 as themselves, BF16 as a view of its bits
                float[] read;
                try (MappedBytes bytes = reader.map(info, 0, info.byteSize())) {
                    ai.djl.ndarray.NDArray alias = m.create(bytes.buffer(), new ai.djl.ndarray.types.Shape(2, 3),
                            t == TensorDType.F32 ? ai.djl.ndarray.types.DataType.FLOAT32 : ai.djl.ndarray.types.DataType.FLOAT16);
                    ai.djl.ndarray.NDArray view = t == TensorDType.BF16 ? dev.layerskip.model.EngineOps.bf16View(alias) : alias;
                    read = view.toType(ai.djl.ndarray.types.DataType.FLOAT32, true).toFloatArray();
                    alias.close();
                    view.close();
                }
                org.junit.jupiter.api.Assertions.assertArrayEquals(values, read, t.name());
            }
        }
    }

    private Path rawSafetensors(String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Path file = dir.resolve("raw.safetensors");
        Files.write(file, b.array());
        return file;
    }

}
