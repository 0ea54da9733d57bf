package dev.layerskip.bench;

import com.google.gson.JsonObject;

import dev.layerskip.checkpoint.HfCheckpoint;
import dev.layerskip.checkpoint.HfCheckpointWriter;
import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.RopeScaling;
import dev.layerskip.checkpoint.SafetensorsWriter;
import dev.layerskip.checkpoint.TensorDType;
import dev.layerskip.model.LlamaWeights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a BF16 checkpoint of random weights at real size (1B or 8B shaped) for measuring loading and
 * generation as a user gets them; never committed. The weights stream to disk (uniform in ±0.0346, std
 * 0.02; norms 1), so an 8B checkpoint needs no memory. With {@code agreeFrom} E0, layers E0.. have zero
 * o_proj and down_proj, so every exit from E0 on agrees with the full model (forced agreement, as
 * {@code bench --agree-from}). The demo's tokenizer files are copied beside it so that {@code --prompt} works.
 *
 * <pre>java -cp src/cli/target/test-classes:target/layerskip.jar dev.layerskip.bench.RandomCheckpointWriter 1b DIR [E0]</pre>
 */
public final class RandomCheckpointWriter {

    private static final long SHARD_BYTES = 5L << 30;

    private RandomCheckpointWriter() {}

    /** Llama 3 8B's shape (32 layers, hidden 4096, GQA 32/8, untied head). */
    static final LlamaConfig LLAMA3_8B = new LlamaConfig(4096, 14336, 32, 32, 8, 128, 1e-5, 500000,
            RopeScaling.NONE, false, 128256, 8192, 128000, List.of(128001, 128009), "bfloat16");

    /**
     * @param args {@code 1b|8b DIR [agreeFrom]}
     * @throws IOException if writing fails
     */
    public static void main(String[] args) throws IOException {
        LlamaConfig config = switch (args[0]) {
            case "1b" -> RandomShape.LLAMA32_1B.config();
            case "8b" -> LLAMA3_8B;
            default -> throw new IllegalArgumentException("shape must be 1b or 8b, got " + args[0]);
        };
        int agreeFrom = args.length > 2 ? Integer.parseInt(args[2]) : Integer.MAX_VALUE;
        write(Path.of(args[1]), config, agreeFrom, 42);
    }

    /**
     * Writes a checkpoint of random BF16 weights.
     *
     * @param dir the directory (created if needed)
     * @param config the shape
     * @param agreeFrom E0: layers from E0 on get zero o_proj and down_proj; Integer.MAX_VALUE for none
     * @param seed the seed
     * @throws IOException if writing fails
     */
    public static void write(Path dir, LlamaConfig config, int agreeFrom, long seed) throws IOException {
        Files.createDirectories(dir);
        Map<String, long[]> tensors = LlamaWeights.expectedTensors(config);
        List<Map<String, long[]>> shards = new ArrayList<>();
        long used = 0;
        for (Map.Entry<String, long[]> e : tensors.entrySet()) {
            long bytes = 2 * elements(e.getValue());
            if (shards.isEmpty() || used + bytes > SHARD_BYTES) {
                shards.add(new LinkedHashMap<>());
                used = 0;
            }
            shards.get(shards.size() - 1).put(e.getKey(), e.getValue());
            used += bytes;
        }
        long[] state = {seed * 0x9E3779B97F4A7C15L + 1};
        JsonObject weightMap = new JsonObject();
        for (int s = 0; s < shards.size(); s++) {
            String name = shards.size() == 1 ? HfCheckpoint.SINGLE_FILE
                    : String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
            writeShard(dir.resolve(name), shards.get(s), agreeFrom, state);
            for (String t : shards.get(s).keySet()) {
                weightMap.addProperty(t, name);
            }
        }
        if (shards.size() > 1) {
            JsonObject index = new JsonObject();
            index.add("metadata", new JsonObject());
            index.add("weight_map", weightMap);
            HfCheckpointWriter.writeJson(dir.resolve(HfCheckpoint.INDEX_FILE), index);
        }
        JsonObject json = config.toJson();
        json.addProperty("torch_dtype", "bfloat16");
        HfCheckpointWriter.writeJson(dir.resolve("config.json"), json);
        Path demo = Path.of("models", "layerskip-demo");
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json")) {
            Files.copy(demo.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void writeShard(Path file, Map<String, long[]> tensors, int agreeFrom, long[] state) throws IOException {
        List<SafetensorsWriter.Layout> layouts = new ArrayList<>();
        tensors.forEach((name, shape) -> layouts.add(new SafetensorsWriter.Layout(name, TensorDType.BF16, shape)));
        ByteBuffer head = SafetensorsWriter.header(layouts, Map.of());
        ByteBuffer chunk = ByteBuffer.allocateDirect(16 << 20).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, head);
            for (Map.Entry<String, long[]> e : tensors.entrySet()) {
                String name = e.getKey();
                boolean norm = name.endsWith("norm.weight");
                boolean inert = (name.endsWith("o_proj.weight") || name.endsWith("down_proj.weight")) && layer(name) >= agreeFrom;
                long n = elements(e.getValue());
                while (n > 0) {
                    chunk.clear();
                    long take = Math.min(n, chunk.capacity() / 2);
                    for (long k = 0; k < take; k++) {
                        chunk.putShort(norm ? (short) 0x3F80 : inert ? 0 : randomBf16(state));
                    }
                    chunk.flip();
                    writeFully(ch, chunk);
                    n -= take;
                }
            }
        }
    }

    /** A bf16 uniform in ±0.0346 (std 0.02) from a xorshift generator: the top 16 bits of its float. */
    private static short randomBf16(long[] state) {
        long x = state[0];
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        state[0] = x;
        float u = ((x >>> 40) / (float) (1L << 24)) * 2f - 1f;
        return (short) (Float.floatToRawIntBits(u * 0.0346f) >>> 16);
    }

    private static int layer(String name) {
        if (!name.startsWith("model.layers.")) {
            return -1;
        }
        int from = "model.layers.".length();
        return Integer.parseInt(name.substring(from, name.indexOf('.', from)));
    }

    private static long elements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
