package dev.layerskip.model;

import ai.djl.Device;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import dev.layerskip.checkpoint.AtomicFiles;
import dev.layerskip.checkpoint.CheckpointException;
import dev.layerskip.checkpoint.CompressedTensorsInt8;
import dev.layerskip.checkpoint.DTypeLabelCheck;
import dev.layerskip.checkpoint.HfCheckpoint;
import dev.layerskip.checkpoint.HfCheckpointWriter;
import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.LlamaConfigJson;
import dev.layerskip.checkpoint.SafetensorsWriter;
import dev.layerskip.checkpoint.StoredValues;
import dev.layerskip.checkpoint.TensorDType;
import dev.layerskip.checkpoint.TensorInfo;

import com.google.gson.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Checkpoints whose projections are stored int8 ({@link CompressedTensorsInt8}): the tensors they hold, the checks of
 * their element types, and the writer that makes one from a float checkpoint (issue 21). A model loaded from such a
 * checkpoint takes the stored int8 rows and scales as they are (no quantization at load, except the embedding, which
 * the format leaves in its float type), and computes exactly what the same model quantized at load computes.
 */
public final class Int8Checkpoints {

    private static final List<String> LINEAR = List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj",
            "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj");

    private Int8Checkpoints() {}

    /**
     * The tensors a checkpoint of this configuration holds, with their shapes.
     *
     * @param c the configuration
     * @param storage how it stores int8 weights, or null for float weights
     * @return name to shape: {@link LlamaWeights#expectedTensors}, with each int8 weight's scale ([out, 1]) after it
     */
    public static Map<String, long[]> expectedTensors(LlamaConfig c, CompressedTensorsInt8 storage) {
        Map<String, long[]> floats = LlamaWeights.expectedTensors(c);
        if (storage == null) {
            return floats;
        }
        Set<String> int8 = int8Weights(c, storage);
        Map<String, long[]> out = new LinkedHashMap<>();
        floats.forEach((name, shape) -> {
            out.put(name, shape);
            if (int8.contains(name)) {
                out.put(CompressedTensorsInt8.scaleOf(name), new long[] {shape[0], 1});
            }
        });
        return out;
    }

    /**
     * @param c the configuration
     * @param storage how the checkpoint stores int8 weights, or null
     * @return the weights stored int8: every decoder Linear, and an untied LM head unless the format ignores it
     */
    public static Set<String> int8Weights(LlamaConfig c, CompressedTensorsInt8 storage) {
        Set<String> out = new LinkedHashSet<>();
        if (storage == null) {
            return out;
        }
        for (int l = 0; l < c.numLayers(); l++) {
            for (String linear : LINEAR) {
                out.add("model.layers." + l + "." + linear + ".weight");
            }
        }
        if (storage.headQuantized() && !c.tieWordEmbeddings()) {
            out.add("lm_head.weight");
        }
        return out;
    }

    /**
     * Checks a checkpoint against its config.json before anything is allocated: every tensor the model reads present
     * with its shape and none besides, element types ({@link #verifyTypes}), and plausible dtype labels.
     *
     * @param checkpoint the open checkpoint
     * @param storage how it stores int8 weights, or null for float weights
     * @return the tensors the model reads, with their shapes ({@link #expectedTensors})
     * @throws CheckpointException naming the first tensor that fails a check
     */
    static Map<String, long[]> verify(HfCheckpoint checkpoint, CompressedTensorsInt8 storage) throws CheckpointException {
        LlamaConfig c = checkpoint.config();
        Map<String, long[]> expected = expectedTensors(c, storage);
        checkpoint.verifyTensors(expected, c.tieWordEmbeddings() ? Set.of("lm_head.weight") : Set.of());
        verifyTypes(checkpoint, expected.keySet(), int8Weights(c, storage));
        DTypeLabelCheck.verify(checkpoint, expected.keySet()); // e.g. F16 data labelled BF16
        return expected;
    }

    /**
     * Checks element types: the int8 weights stored I8, every other tensor a float type.
     *
     * @param checkpoint the open checkpoint (tensor names and shapes already verified)
     * @param names the tensors the model reads
     * @param int8 those that must be I8
     * @throws CheckpointException naming the first tensor of the wrong type
     */
    static void verifyTypes(HfCheckpoint checkpoint, Set<String> names, Set<String> int8) throws CheckpointException {
        for (String name : names) {
            TensorInfo info = checkpoint.info(name);
            if (info == null) {
                continue; // reported as missing by the shape check
            }
            if (int8.contains(name) && info.dtype() != TensorDType.I8) {
                throw new CheckpointException(checkpoint.directory(), "tensor '" + name + "' is stored as " + info.dtype()
                        + " but config.json's quantization_config makes every decoder Linear weight int8 (I8)");
            }
            if (!int8.contains(name) && !info.dtype().isFloat()) {
                throw new CheckpointException(checkpoint.directory(), "tensor '" + name + "' is stored as " + info.dtype()
                        + "; only the Linear weights of a checkpoint whose config.json has a compressed-tensors"
                        + " quantization_config may be int8");
            }
        }
    }

    /**
     * Writes an int8 copy of a float checkpoint: every decoder Linear weight quantized per output channel exactly as
     * {@code dtype int8} quantizes it at load ({@link Int8Weights}), stored I8 with an F32 scale per row; norms,
     * embedding and an untied LM head copied in their stored type; config.json given the quantization_config; the
     * other files (tokenizer, generation config, ...) copied. Holds one tensor at a time.
     *
     * @param source a float checkpoint directory
     * @param target a directory that does not exist or is empty
     * @return the bytes of the written model.safetensors
     * @throws CheckpointException if the source is invalid or already int8
     * @throws IOException if writing fails (model.safetensors and config.json are each written atomically)
     */
    public static long write(Path source, Path target) throws CheckpointException, IOException {
        if (Files.exists(target) && (!Files.isDirectory(target) || hasEntries(target))) {
            throw new CheckpointException(target, "exists and is not an empty directory; choose a new directory");
        }
        try (HfCheckpoint checkpoint = HfCheckpoint.open(source)) {
            LlamaConfig c = checkpoint.config();
            if (checkpoint.int8Storage() != null) {
                throw new CheckpointException(source, "is already an int8 checkpoint (config.json has a quantization_config)");
            }
            verify(checkpoint, null); // F16 data labelled BF16, say, would quantize to garbage
            Set<String> int8 = int8Weights(c, CompressedTensorsInt8.PROJECTIONS_ONLY);
            List<SafetensorsWriter.Layout> layouts = new ArrayList<>();
            expectedTensors(c, CompressedTensorsInt8.PROJECTIONS_ONLY).forEach((name, shape) -> layouts.add(
                    new SafetensorsWriter.Layout(name, name.endsWith("_scale") ? TensorDType.F32
                            : int8.contains(name) ? TensorDType.I8 : checkpoint.info(name).dtype(), shape)));
            Files.createDirectories(target);
            Path weights = target.resolve(HfCheckpoint.SINGLE_FILE);
            AtomicFiles.write(weights, tmp -> writeTensors(checkpoint, layouts, int8, tmp));
            JsonObject config = LlamaConfigJson.readObject(source.resolve("config.json"));
            config.add("quantization_config", CompressedTensorsInt8.PROJECTIONS_ONLY.toJson());
            HfCheckpointWriter.writeJson(target.resolve("config.json"), config);
            copyOtherFiles(source, target);
            return Files.size(weights);
        }
    }

    private static void writeTensors(HfCheckpoint checkpoint, List<SafetensorsWriter.Layout> layouts, Set<String> int8,
            Path tmp) throws IOException {
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE);
                NDManager manager = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            write(out, SafetensorsWriter.header(layouts, Map.of("quantization", "compressed-tensors int-quantized")));
            for (SafetensorsWriter.Layout t : layouts) {
                if (t.name().endsWith("_scale")) {
                    continue; // written right after its weight
                }
                if (!int8.contains(t.name())) {
                    StoredValues.copyBytes(checkpoint, t.name(), out);
                    continue;
                }
                try (NDManager step = manager.newSubManager();
                        NDList q = checkpoint.loadAll(step, new Int8Copier(new String[] {t.name()},
                                new long[] {t.shape()[0]}, true, false), new String[] {t.name()}, new long[][] {t.shape()})) {
                    write(out, q.get(0).toByteBuffer()); // [out, in] int8
                    write(out, q.get(1).toByteBuffer()); // [out] float32: the [out, 1] scale's bytes
                }
            }
            out.force(true);
        }
    }

    private static void write(FileChannel out, ByteBuffer bytes) throws IOException {
        ByteBuffer b = bytes.duplicate(); // native order: little-endian, as safetensors stores
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    private static boolean hasEntries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isPresent();
        }
    }

    /** Copies every regular file but the weights and config.json (tokenizer, generation config, token counts...). */
    private static void copyOtherFiles(Path source, Path target) throws IOException {
        try (Stream<Path> files = Files.list(source)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (Files.isRegularFile(f) && !name.endsWith(".safetensors") && !name.equals(HfCheckpoint.INDEX_FILE)
                        && !name.equals("config.json")) {
                    Files.copy(f, target.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
