package dev.layerskip.train;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import dev.layerskip.checkpoint.CheckpointException;
import dev.layerskip.checkpoint.LlamaConfigJson;
import dev.layerskip.checkpoint.TensorDType;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads a training config ({@code train --config FILE.json}); every key can be overridden by a
 * flag of its dotted path ({@code --optim.lr 0.001}). Unknown keys, wrong types and unknown scale
 * or curriculum names are errors naming the key. Relative paths are relative to the working
 * directory (the repository root for the shipped recipes).
 */
public final class TrainConfigJson {

    private static final Map<String, Set<String>> KEYS = Map.of(
            "", Set.of("output_dir", "init_from", "model", "tokenizer", "data", "optim", "seed", "layer_dropout",
                    "early_exit", "eval_every", "eval_batches", "checkpoint_every", "save_dtype"),
            "data", Set.of("paths", "extensions", "exclude", "held_out_fraction", "seq_len", "cache_dir"),
            "optim", Set.of("steps", "batch_size", "grad_accumulation", "lr", "warmup_steps", "min_lr_ratio",
                    "weight_decay", "beta1", "beta2", "eps", "clip_norm"),
            "layer_dropout", Set.of("p_max", "per_layer", "per_step", "ramp_steps"),
            "early_exit", Set.of("enabled", "scale", "e_scale", "curriculum", "rotation", "gradual_steps", "layers"));

    private TrainConfigJson() {}

    /**
     * Reads a config file and applies flag overrides.
     *
     * @param file the JSON file
     * @param overrides dotted key → value text (numbers, booleans, names; lists comma-separated)
     * @return the validated config
     * @throws CheckpointException if the file is missing or malformed, naming the key
     */
    public static TrainConfig read(Path file, Map<String, String> overrides) throws CheckpointException {
        JsonObject root = LlamaConfigJson.readObject(file);
        for (Map.Entry<String, String> o : overrides.entrySet()) {
            apply(root, o.getKey(), o.getValue(), file);
        }
        try {
            return parse(root, file);
        } catch (IllegalArgumentException | IllegalStateException | ClassCastException | UnsupportedOperationException e) {
            throw new CheckpointException(file, e.getMessage(), e);
        }
    }

    private static void apply(JsonObject root, String key, String value, Path file) throws CheckpointException {
        String[] parts = key.split("\\.");
        JsonObject target = root;
        for (int i = 0; i < parts.length - 1; i++) {
            if (!target.has(parts[i]) || !target.get(parts[i]).isJsonObject()) {
                target.add(parts[i], new JsonObject());
            }
            target = target.getAsJsonObject(parts[i]);
        }
        String leaf = parts[parts.length - 1];
        String section = parts.length == 1 ? "" : parts[0];
        if (!KEYS.containsKey(section) && !section.equals("model") || KEYS.containsKey(section) && !KEYS.get(section).contains(leaf)) {
            throw new CheckpointException(file, "unknown option --" + key);
        }
        JsonElement existing = target.get(leaf);
        target.add(leaf, existing != null && existing.isJsonArray() || leaf.equals("paths") || leaf.equals("layers")
                || leaf.equals("extensions") || leaf.equals("exclude") ? list(value) : scalar(value));
    }

    private static JsonElement list(String value) {
        JsonArray a = new JsonArray();
        for (String v : value.split(",")) {
            if (!v.isBlank()) {
                a.add(scalar(v.trim()));
            }
        }
        return a;
    }

    private static JsonElement scalar(String v) {
        if (v.equals("true") || v.equals("false")) {
            return new JsonPrimitive(Boolean.parseBoolean(v));
        }
        try {
            return new JsonPrimitive(Double.parseDouble(v));
        } catch (NumberFormatException e) {
            return new JsonPrimitive(v);
        }
    }

    private static TrainConfig parse(JsonObject root, Path file) throws CheckpointException {
        checkKeys(root, "", file);
        JsonObject data = section(root, "data", file);
        JsonObject optim = section(root, "optim", file);
        JsonObject dropout = root.has("layer_dropout") ? section(root, "layer_dropout", file) : new JsonObject();
        JsonObject exit = root.has("early_exit") ? section(root, "early_exit", file) : new JsonObject();
        return new TrainConfig(
                path(root, "output_dir"),
                root.has("init_from") && !root.get("init_from").isJsonNull() ? path(root, "init_from") : null,
                root.has("model") && !root.get("model").isJsonNull() ? LlamaConfigJson.parse(section(root, "model", file), file) : null,
                path(root, "tokenizer"),
                new DataConfig(paths(data, "paths"), strings(data, "extensions"), strings(data, "exclude"),
                        num(data, "held_out_fraction", 0.02), wholeInt(data, "seq_len", 256),
                        data.has("cache_dir") ? path(data, "cache_dir") : Path.of("target", "token-cache")),
                new OptimConfig(whole(optim, "steps", Double.NaN), wholeInt(optim, "batch_size", 8),
                        wholeInt(optim, "grad_accumulation", 1), num(optim, "lr", 1e-3), whole(optim, "warmup_steps", 0),
                        num(optim, "min_lr_ratio", 0.1), num(optim, "weight_decay", 0.1), num(optim, "beta1", 0.9),
                        num(optim, "beta2", 0.95), num(optim, "eps", 1e-8), num(optim, "clip_norm", 1.0)),
                whole(root, "seed", 0),
                new LayerDropout(num(dropout, "p_max", 0), PerLayerScale.fromName(str(dropout, "per_layer", "exp")),
                        StepScale.fromName(str(dropout, "per_step", "constant")), whole(dropout, "ramp_steps", 0)),
                new EarlyExitLoss(exit.has("enabled") && exit.get("enabled").getAsBoolean(),
                        ExitScale.fromName(str(exit, "scale", "sum_l")), num(exit, "e_scale", 1.0),
                        CurriculumType.fromName(str(exit, "curriculum", "none")), wholeInt(exit, "rotation", 1),
                        whole(exit, "gradual_steps", 0), new HashSet<>(ints(exit, "layers"))),
                whole(root, "eval_every", 0), wholeInt(root, "eval_batches", 8), whole(root, "checkpoint_every", 0),
                TensorDType.fromSafetensorsName(str(root, "save_dtype", "f16").toUpperCase(Locale.ROOT)));
    }

    private static void checkKeys(JsonObject o, String section, Path file) throws CheckpointException {
        for (String key : o.keySet()) {
            if (!KEYS.get(section).contains(key)) {
                throw new CheckpointException(file, "unknown key '" + (section.isEmpty() ? "" : section + ".") + key + "'");
            }
        }
    }

    private static JsonObject section(JsonObject root, String name, Path file) throws CheckpointException {
        if (!root.has(name) || !root.get(name).isJsonObject()) {
            throw new CheckpointException(file, "section '" + name + "' is missing or not an object");
        }
        JsonObject s = root.getAsJsonObject(name);
        if (KEYS.containsKey(name)) {
            checkKeys(s, name, file);
        }
        return s;
    }

    private static double num(JsonObject o, String key, double fallback) {
        if (!o.has(key) || o.get(key).isJsonNull()) {
            if (Double.isNaN(fallback)) {
                throw new IllegalArgumentException("required key '" + key + "' is missing");
            }
            return fallback;
        }
        JsonElement e = o.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException("key '" + key + "' must be a number, got " + e);
        }
        return e.getAsDouble();
    }

    /** An integer value: a number without a fraction (1.5 or 1e30 are errors, not truncated). */
    private static long whole(JsonObject o, String key, double fallback) {
        double v = num(o, key, fallback);
        if (v != Math.rint(v) || Math.abs(v) > 0x1p53) {
            throw new IllegalArgumentException("key '" + key + "' must be a whole number, got " + o.get(key));
        }
        return (long) v;
    }

    private static int wholeInt(JsonObject o, String key, double fallback) {
        long v = whole(o, key, fallback);
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw new IllegalArgumentException("key '" + key + "' is out of range: " + v);
        }
        return (int) v;
    }

    private static String str(JsonObject o, String key, String fallback) {
        if (!o.has(key) || o.get(key).isJsonNull()) {
            return fallback;
        }
        JsonElement e = o.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException("key '" + key + "' must be a string, got " + e);
        }
        return e.getAsString();
    }

    private static Path path(JsonObject o, String key) {
        String s = str(o, key, null);
        if (s == null) {
            throw new IllegalArgumentException("required key '" + key + "' is missing");
        }
        return resolve(s);
    }

    private static List<Path> paths(JsonObject o, String key) {
        List<Path> out = new ArrayList<>();
        for (String s : strings(o, key)) {
            out.add(resolve(s));
        }
        return out;
    }

    /** Relative paths are relative to the working directory, as on the command line. */
    private static Path resolve(String s) {
        Path p = Path.of(s);
        return p.isAbsolute() ? p : Path.of("").toAbsolutePath().resolve(p).normalize();
    }

    private static List<String> strings(JsonObject o, String key) {
        List<String> out = new ArrayList<>();
        if (o.has(key) && !o.get(key).isJsonNull()) {
            if (!o.get(key).isJsonArray()) {
                throw new IllegalArgumentException("key '" + key + "' must be a list");
            }
            for (JsonElement e : o.getAsJsonArray(key)) {
                out.add(e.getAsString());
            }
        }
        return out;
    }

    private static List<Integer> ints(JsonObject o, String key) {
        List<Integer> out = new ArrayList<>();
        if (o.has(key) && !o.get(key).isJsonNull()) {
            if (!o.get(key).isJsonArray()) {
                throw new IllegalArgumentException("key '" + key + "' must be a list");
            }
            JsonObject item = new JsonObject();
            for (JsonElement e : o.getAsJsonArray(key)) {
                item.add(key, e);
                out.add(wholeInt(item, key, Double.NaN));
            }
        }
        return out;
    }
}
