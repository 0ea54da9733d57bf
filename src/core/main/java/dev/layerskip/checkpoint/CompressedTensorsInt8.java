package dev.layerskip.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

import java.nio.file.Path;
import java.util.Map;

/**
 * The int8 checkpoint layout this project reads and writes: {@code compressed-tensors}' {@code int-quantized} format,
 * as llm-compressor writes "W8A8" int8 models and vLLM and Hugging Face transformers load them. {@code config.json}
 * carries a {@code quantization_config}; every Linear weight of the decoder is stored as {@code I8} ({@code
 * X.weight}, [out, in]) beside its per-output-channel scale ({@code X.weight_scale}, [out, 1], a float type),
 * symmetric (w = q · scale, no zero point); the embedding stays in its float type, and so does the LM head when
 * {@code ignore} lists {@code lm_head}.
 *
 * <p>Accepted: one config group targeting {@code Linear}, weights of 8 bits, type {@code int}, symmetric, strategy
 * {@code channel}; input activations absent or dynamic (this project quantizes each activation row at run time
 * anyway); {@code ignore} empty or {@code ["lm_head"]}; status {@code compressed}. Anything else is refused naming
 * the field.
 *
 * @param headQuantized whether {@code lm_head} is stored int8 too (it is not in {@code ignore})
 */
public record CompressedTensorsInt8(boolean headQuantized) {

    /** The layout {@link #toJson()} writes: projections int8, the LM head (when untied) left in its float type. */
    public static final CompressedTensorsInt8 PROJECTIONS_ONLY = new CompressedTensorsInt8(false);
    private static final String FIELD = "quantization_config";

    /**
     * The name of a weight's scale tensor.
     *
     * @param weight a weight tensor's name, e.g. {@code model.layers.0.mlp.down_proj.weight}
     * @return its scale's name, e.g. {@code model.layers.0.mlp.down_proj.weight_scale}
     */
    public static String scaleOf(String weight) {
        return weight + "_scale";
    }

    /**
     * Reads the {@code quantization_config} of a {@code config.json}.
     *
     * @param config the parsed config.json
     * @param file the file, for messages
     * @return the layout, or null when the config has no {@code quantization_config}
     * @throws CheckpointException naming the field when the quantization is not the one this project loads
     */
    public static CompressedTensorsInt8 read(JsonObject config, Path file) throws CheckpointException {
        JsonFields top = new JsonFields(config, file, "");
        JsonFields q = top.optionalObject(FIELD);
        if (q == null) {
            return null;
        }
        expect(q, FIELD, "quant_method", "compressed-tensors", true);
        expect(q, FIELD, "format", "int-quantized", true);
        expect(q, FIELD, "quantization_status", "compressed", false);
        if (q.has("kv_cache_scheme")) {
            throw q.error("'" + FIELD + ".kv_cache_scheme' is set; quantized KV caches are not supported");
        }
        JsonFields groups = q.optionalObject("config_groups");
        if (groups == null || groups.object().size() != 1) {
            throw q.error("'" + FIELD + ".config_groups' must hold exactly one group (int8 Linear weights), got "
                    + (groups == null ? "none" : groups.object().size()));
        }
        Map.Entry<String, JsonElement> only = groups.object().entrySet().iterator().next();
        JsonFields group = groups.optionalObject(only.getKey());
        if (group == null) {
            throw q.error("'" + FIELD + ".config_groups." + only.getKey() + "' must be an object");
        }
        requireStrings(group, "targets", "Linear");
        JsonFields weights = group.optionalObject("weights");
        if (weights == null) {
            throw group.error("'" + FIELD + ".config_groups." + only.getKey() + ".weights' is missing");
        }
        if (weights.requiredInteger("num_bits", 1, 64) != 8) {
            throw weights.error("'" + FIELD + ".config_groups." + only.getKey() + ".weights.num_bits' must be 8");
        }
        String at = FIELD + ".config_groups." + only.getKey() + ".weights";
        expect(weights, at, "type", "int", true);
        expect(weights, at, "strategy", "channel", true);
        if (!weights.optionalBoolean("symmetric", false)) {
            throw weights.error("'" + FIELD + ".config_groups." + only.getKey() + ".weights.symmetric' must be true"
                    + " (asymmetric weights with zero points are not supported)");
        }
        if (weights.optionalBoolean("dynamic", false)) {
            throw weights.error("'" + FIELD + ".config_groups." + only.getKey() + ".weights.dynamic' must be false");
        }
        JsonFields activations = group.optionalObject("input_activations");
        if (activations != null && !activations.optionalBoolean("dynamic", false)) {
            throw activations.error("'" + FIELD + ".config_groups." + only.getKey() + ".input_activations' is static"
                    + " (input_scale tensors); only dynamic or absent activation quantization is supported");
        }
        boolean headIgnored = requireIgnore(q);
        return new CompressedTensorsInt8(!headIgnored);
    }

    /** @return the {@code quantization_config} object {@link #read} accepts and other tools recognise */
    public JsonObject toJson() {
        JsonObject weights = new JsonObject();
        weights.addProperty("num_bits", 8);
        weights.addProperty("type", "int");
        weights.addProperty("symmetric", true);
        weights.addProperty("strategy", "channel");
        weights.addProperty("dynamic", false);
        weights.add("group_size", JsonNull.INSTANCE);
        JsonObject activations = new JsonObject(); // what the int8 products do at run time: each row over its own range
        activations.addProperty("num_bits", 8);
        activations.addProperty("type", "int");
        activations.addProperty("symmetric", true);
        activations.addProperty("strategy", "token");
        activations.addProperty("dynamic", true);
        JsonObject group = new JsonObject();
        JsonArray targets = new JsonArray();
        targets.add("Linear");
        group.add("targets", targets);
        group.add("weights", weights);
        group.add("input_activations", activations);
        JsonObject groups = new JsonObject();
        groups.add("group_0", group);
        JsonObject q = new JsonObject();
        q.addProperty("quant_method", "compressed-tensors");
        q.addProperty("format", "int-quantized");
        q.addProperty("quantization_status", "compressed");
        q.add("config_groups", groups);
        JsonArray ignore = new JsonArray();
        if (!headQuantized) {
            ignore.add("lm_head");
        }
        q.add("ignore", ignore);
        return q;
    }

    private static void expect(JsonFields f, String at, String key, String wanted, boolean required)
            throws CheckpointException {
        String got = f.optionalString(key, required ? null : wanted);
        if (!wanted.equals(got)) {
            throw f.error("'" + at + "." + key + "' is " + (got == null ? "missing" : "'" + got + "'") + "; only '"
                    + wanted + "' loads (compressed-tensors int-quantized: 8-bit symmetric per-channel Linear weights)");
        }
    }

    private static void requireStrings(JsonFields f, String key, String only) throws CheckpointException {
        JsonElement e = f.object().get(key);
        if (e == null || !e.isJsonArray() || e.getAsJsonArray().size() != 1 || !e.getAsJsonArray().get(0).isJsonPrimitive()
                || !only.equals(e.getAsJsonArray().get(0).getAsString())) {
            throw f.error("'" + FIELD + ".config_groups.*." + key + "' must be [\"" + only + "\"], got " + e);
        }
    }

    /** @return whether {@code ignore} lists {@code lm_head} (the only name it may list) */
    private static boolean requireIgnore(JsonFields q) throws CheckpointException {
        JsonElement e = q.object().get("ignore");
        if (e == null || e.isJsonNull()) {
            return false;
        }
        if (!e.isJsonArray()) {
            throw q.error("'" + FIELD + ".ignore' must be a list, got " + e);
        }
        boolean head = false;
        for (JsonElement name : e.getAsJsonArray()) {
            if (!name.isJsonPrimitive() || !"lm_head".equals(name.getAsString())) {
                throw q.error("'" + FIELD + ".ignore' may list only \"lm_head\" (every decoder Linear is int8), got " + name);
            }
            head = true;
        }
        return head;
    }
}
