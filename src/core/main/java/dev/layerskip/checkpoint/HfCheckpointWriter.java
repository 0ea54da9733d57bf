package dev.layerskip.checkpoint;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a Hugging Face checkpoint directory: {@code config.json}, and the weights as one
 * {@code model.safetensors} or as shards with {@code model.safetensors.index.json}. Every file is
 * written to a temporary name first and renamed, so readers never see a half-written file.
 */
public final class HfCheckpointWriter {

    private HfCheckpointWriter() {}

    /**
     * Writes the configuration and tensors.
     *
     * @param directory the target directory (created if needed)
     * @param config the configuration ({@code torch_dtype} is set from the stored type)
     * @param tensors the tensors, in the order to store them
     * @param maxShardBytes split into shards of at most this many bytes; {@code Long.MAX_VALUE}
     *     for a single file
     * @throws IOException if writing fails
     */
    public static void write(Path directory, LlamaConfig config, List<SafetensorsWriter.Entry> tensors,
            long maxShardBytes) throws IOException {
        Files.createDirectories(directory);
        String dtype = tensors.isEmpty() ? "float32" : torchName(tensors.get(0).dtype());
        JsonObject configJson = config.toJson();
        configJson.addProperty("torch_dtype", dtype);
        writeJson(directory.resolve("config.json"), configJson);
        List<List<SafetensorsWriter.Entry>> shards = new ArrayList<>();
        long current = Long.MAX_VALUE;
        for (SafetensorsWriter.Entry e : tensors) {
            long size = e.data().remaining();
            if (shards.isEmpty() || (current + size > maxShardBytes && current > 0)) {
                shards.add(new ArrayList<>());
                current = 0;
            }
            shards.get(shards.size() - 1).add(e);
            current += size;
        }
        if (shards.size() <= 1) {
            SafetensorsWriter.write(directory.resolve(HfCheckpoint.SINGLE_FILE), tensors, Map.of());
            Files.deleteIfExists(directory.resolve(HfCheckpoint.INDEX_FILE));
            return;
        }
        JsonObject weightMap = new JsonObject();
        long total = 0;
        for (int s = 0; s < shards.size(); s++) {
            String name = String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
            SafetensorsWriter.write(directory.resolve(name), shards.get(s), Map.of());
            for (SafetensorsWriter.Entry e : shards.get(s)) {
                weightMap.addProperty(e.name(), name);
                total += e.data().remaining();
            }
        }
        JsonObject index = new JsonObject();
        JsonObject metadata = new JsonObject();
        metadata.addProperty("total_size", total);
        index.add("metadata", metadata);
        index.add("weight_map", weightMap);
        writeJson(directory.resolve(HfCheckpoint.INDEX_FILE), index);
        Files.deleteIfExists(directory.resolve(HfCheckpoint.SINGLE_FILE));
    }

    /**
     * Writes a JSON file atomically.
     *
     * @param file the target
     * @param json the content
     * @throws IOException if writing fails
     */
    public static void writeJson(Path file, JsonObject json) throws IOException {
        String text = new GsonBuilder().setPrettyPrinting().create().toJson(json) + "\n";
        AtomicFiles.write(file, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
    }

    private static String torchName(TensorDType t) {
        return switch (t) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            case I8 -> throw new IllegalArgumentException("a checkpoint's torch_dtype is a float type, not int8");
        };
    }
}
