package dev.layerskip.checkpoint;

import dev.layerskip.json.StrictJson;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

import com.google.gson.Gson;
import com.google.gson.JsonObject;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.model.LlamaWeights;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Seeded generated checkpoints with realistic magnitudes (embedding std 0.002..0.5, norm weights
 * 0.05..8): stored as F32, F16 or BF16 they load; the same data written as F16 and then labelled BF16 in
 * the safetensors header (every tensor, or one norm) is refused naming the tensor and the label.
 */
class DTypeLabelCheckTest {

    @TempDir Path dir;

    private static double logUniform(Random r, double lo, double hi) {
        return Math.exp(Math.log(lo) + r.nextDouble() * (Math.log(hi) - Math.log(lo)));
    }

    /** Writes a tiny checkpoint; returns the norm scale used for each norm tensor. */
    private static void write(Path ckpt, TensorDType dtype, Random r, double embeddingStd, double normScale) throws IOException {
        LlamaConfig c = TestCheckpoints.tinyConfig();
        List<SafetensorsWriter.Entry> entries = new ArrayList<>();
        for (Map.Entry<String, long[]> t : LlamaWeights.expectedTensors(c).entrySet()) {
            long n = 1;
            for (long d : t.getValue()) {
                n *= d;
            }
            float[] values = new float[Math.toIntExact(n)];
            boolean norm = t.getKey().endsWith("norm.weight");
            double std = t.getKey().equals("model.embed_tokens.weight") ? embeddingStd : 0.05;
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (norm ? normScale * (1 + 0.1 * r.nextGaussian()) : std * r.nextGaussian());
            }
            entries.add(SafetensorsWriter.Entry.of(t.getKey(), dtype, t.getValue(), values));
        }
        HfCheckpointWriter.write(ckpt, c, entries, Long.MAX_VALUE);
    }

    /** Rewrites the header so that the given tensors (all when null) are labelled BF16; the data stay as they are. */
    private static void labelBf16(Path file, Set<String> only) throws Exception {
        byte[] all = Files.readAllBytes(file);
        long length = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonObject header = StrictJson.parse(new String(all, 8, (int) length, StandardCharsets.UTF_8)).getAsJsonObject();
        for (String name : header.keySet()) {
            if (!name.equals("__metadata__") && (only == null || only.contains(name))) {
                header.getAsJsonObject(name).addProperty("dtype", "BF16");
            }
        }
        byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded + all.length - 8 - (int) length).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        for (int i = json.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        out.put(all, 8 + (int) length, all.length - 8 - (int) length);
        Files.write(file, out.array());
    }

    private static String load(Path ckpt) {
        try (LoadedModel m = LoadedModel.load(ckpt, new LoadOptions(Device.cpu(), DataType.FLOAT32))) {
            return null;
        } catch (CheckpointException e) {
            return e.getMessage();
        }
    }

    @Test
    void legitimateCheckpointsLoadAndF16LabelledBf16IsRefused() throws Exception {
        Random r = new Random(16);
        List<String> failures = new ArrayList<>();
        int legitimate = 0;
        int relabelled = 0;
        for (int i = 0; i < 18; i++) { // legitimate: each dtype, realistic magnitudes
            TensorDType dtype = TensorDType.values()[i % 3];
            double std = logUniform(r, 0.002, 0.5);
            double norm = logUniform(r, 0.05, 8);
            Path ckpt = dir.resolve("ok-" + i);
            write(ckpt, dtype, r, std, norm);
            legitimate++;
            String message = load(ckpt);
            if (message != null) {
                failures.add(dtype + " std " + std + " norm " + norm + " refused: " + message);
            }
        }
        for (int i = 0; i < 16; i++) { // F16 data, every tensor labelled BF16
            double std = logUniform(r, 0.002, 0.2);
            double norm = logUniform(r, 0.05, 8);
            Path ckpt = dir.resolve("relabelled-" + i);
            write(ckpt, TensorDType.F16, r, std, norm);
            labelBf16(ckpt.resolve("model.safetensors"), null);
            relabelled++;
            String message = load(ckpt);
            if (i == 0) {
                System.out.println(message);
            }
            if (message == null || !message.contains("tensor 'model.embed_tokens.weight' is labelled BF16 but its values are"
                    + " implausibly small for a token embedding") || !message.contains("read as F16 its median |x| would be")
                    || !message.contains("the dtype label in the safetensors header is probably wrong")) {
                failures.add("relabelled std " + std + " norm " + norm + " -> " + message);
            }
        }
        for (int i = 0; i < 6; i++) { // one norm of F16 data labelled BF16: caught when its weights are 5 or more (5 reads as 2048)
            double norm = logUniform(r, 5, 8);
            int layer = r.nextInt(3);
            String name = "model.layers." + layer + "." + (r.nextBoolean() ? "input" : "post_attention") + "_layernorm.weight";
            Path ckpt = dir.resolve("norm-" + i);
            write(ckpt, TensorDType.F16, r, 0.02, norm);
            labelBf16(ckpt.resolve("model.safetensors"), Set.of(name));
            relabelled++;
            String message = load(ckpt);
            if (message == null || !message.contains("tensor '" + name + "' is labelled BF16 but its values are implausibly large"
                    + " for an RMSNorm weight")) {
                failures.add("norm " + name + " " + norm + " -> " + message);
            }
        }
        assertEquals(18, legitimate);
        assertEquals(22, relabelled);
        assertEquals("", String.join("\n", failures));
    }

    @Test
    void theMedianIsExactOnAHandMadeTensor() throws Exception {
        Path ckpt = dir.resolve("hand");
        write(ckpt, TensorDType.F32, new Random(1), 0.02, 1);
        try (SafetensorsFile f = SafetensorsFile.open(ckpt.resolve("model.safetensors"))) {
            TensorInfo norm = f.tensors().get("model.norm.weight");
            // 32 values from N(1, 0.1): the median of their absolute values is the 17th smallest
            float[] v = new float[32];
            try (MappedBytes mapped = f.map(norm, 0, norm.byteSize())) {
                ByteBuffer b = mapped.buffer();
                for (int i = 0; i < 32; i++) {
                    v[i] = Math.abs(b.getFloat());
                }
            }
            java.util.Arrays.sort(v);
            assertEquals(v[16], DTypeLabelCheck.medianAbs(f, norm, TensorDType.F32), 0.0);
            // 1.0 stored as F16 (0x3C00) and read as BF16 is 2^-7
            assertEquals(0.0078125f, HalfFloats.bf16ToFloat(HalfFloats.floatToHalf(1f)), 0.0);
        }
    }
}
