package dev.layerskip.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.Gson;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.JsonPrimitive;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a Hugging Face {@code config.json} of a {@code LlamaForCausalLM} into a {@link LlamaConfig}. */
public final class LlamaConfigJson {

    private LlamaConfigJson() {}

    /**
     * Reads and validates a {@code config.json}.
     *
     * @param file the config file
     * @return the configuration
     * @throws CheckpointException if the file is missing, not JSON, not a Llama, or has a bad field
     */
    public static LlamaConfig read(Path file) throws CheckpointException {
        return parse(readObject(file), file);
    }

    /**
     * Reads a JSON object from a file, with errors that name the file.
     *
     * @param file the file
     * @return the top-level object
     * @throws CheckpointException if the file is missing or not a JSON object
     */
    public static JsonObject readObject(Path file) throws CheckpointException {
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonReader jsonReader = new JsonReader(reader); // strict; Gson 2.8.5 API (IJava bundles it)
            JsonElement root = new Gson().getAdapter(JsonElement.class).read(jsonReader);
            if (jsonReader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("text after the JSON value");
            }
            if (!root.isJsonObject()) {
                throw new CheckpointException(file, "expected a JSON object at the top level");
            }
            return root.getAsJsonObject();
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "file not found", e);
        } catch (JsonParseException | com.google.gson.stream.MalformedJsonException | java.io.EOFException
                | IllegalStateException e) {
            throw new CheckpointException(file, "malformed JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * Builds a configuration from a parsed {@code config.json} object.
     *
     * @param o the object
     * @param file the file it came from, for messages
     * @return the configuration
     * @throws CheckpointException if a field is missing, of the wrong type or out of range
     */
    public static LlamaConfig parse(JsonObject o, Path file) throws CheckpointException {
        checkArchitecture(o, file);
        try {
            int hidden = requiredInt(o, "hidden_size", file);
            int heads = requiredInt(o, "num_attention_heads", file);
            int kvHeads = o.has("num_key_value_heads") && !o.get("num_key_value_heads").isJsonNull()
                    ? requiredInt(o, "num_key_value_heads", file)
                    : heads;
            int headDim = o.has("head_dim") && !o.get("head_dim").isJsonNull()
                    ? requiredInt(o, "head_dim", file)
                    : hidden / heads;
            return new LlamaConfig(
                    hidden,
                    requiredInt(o, "intermediate_size", file),
                    requiredInt(o, "num_hidden_layers", file),
                    heads,
                    kvHeads,
                    headDim,
                    optionalDouble(o, "rms_norm_eps", 1e-6, file),
                    optionalDouble(o, "rope_theta", 10000.0, file),
                    ropeScaling(o, file),
                    o.has("tie_word_embeddings") && o.get("tie_word_embeddings").getAsBoolean(),
                    requiredInt(o, "vocab_size", file),
                    o.has("max_position_embeddings")
                            ? requiredInt(o, "max_position_embeddings", file)
                            : 2048,
                    o.has("bos_token_id") && !o.get("bos_token_id").isJsonNull()
                            ? requiredInt(o, "bos_token_id", file)
                            : -1,
                    tokenIds(o, "eos_token_id", file),
                    o.has("torch_dtype") && o.get("torch_dtype").isJsonPrimitive()
                            ? o.get("torch_dtype").getAsString()
                            : null);
        } catch (IllegalArgumentException | IllegalStateException | UnsupportedOperationException e) {
            throw new CheckpointException(file, e.getMessage(), e);
        }
    }

    private static void checkArchitecture(JsonObject o, Path file) throws CheckpointException {
        if (o.has("architectures") && o.get("architectures").isJsonArray()) {
            for (JsonElement a : o.getAsJsonArray("architectures")) {
                String name = a.getAsString();
                if (!name.equals("LlamaForCausalLM")) {
                    throw new CheckpointException(
                            file,
                            "unsupported architecture '" + name + "' (supported: LlamaForCausalLM)");
                }
            }
        } else if (o.has("model_type") && !"llama".equals(o.get("model_type").getAsString())) {
            throw new CheckpointException(
                    file,
                    "unsupported model_type '" + o.get("model_type").getAsString() + "' (supported: llama)");
        } else if (!o.has("architectures") && !o.has("model_type")) {
            throw new CheckpointException(
                    file, "neither 'architectures' nor 'model_type' is set; expected LlamaForCausalLM");
        }
        if (o.has("hidden_act") && !"silu".equals(o.get("hidden_act").getAsString())) {
            throw new CheckpointException(
                    file, "unsupported hidden_act '" + o.get("hidden_act").getAsString() + "' (supported: silu)");
        }
        for (String bias : new String[] {"attention_bias", "mlp_bias"}) {
            if (o.has(bias) && o.get(bias).isJsonPrimitive() && o.get(bias).getAsBoolean()) {
                throw new CheckpointException(file, bias + "=true is not supported");
            }
        }
    }

    private static RopeScaling ropeScaling(JsonObject o, Path file) throws CheckpointException {
        if (!o.has("rope_scaling") || o.get("rope_scaling").isJsonNull()) {
            return RopeScaling.NONE;
        }
        if (!o.get("rope_scaling").isJsonObject()) {
            throw new CheckpointException(file, "field 'rope_scaling' must be an object or null");
        }
        JsonObject rs = o.getAsJsonObject("rope_scaling");
        String typeField = rs.has("rope_type") ? "rope_type" : "type";
        if (!rs.has(typeField)) {
            throw new CheckpointException(file, "field 'rope_scaling.rope_type' is missing");
        }
        RopeType type;
        try {
            type = RopeType.fromConfigName(rs.get(typeField).getAsString());
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, e.getMessage(), e);
        }
        if (type == RopeType.DEFAULT) {
            return RopeScaling.NONE;
        }
        double factor = optionalDouble(rs, "factor", Double.NaN, file);
        if (Double.isNaN(factor)) {
            throw new CheckpointException(file, "field 'rope_scaling.factor' is missing");
        }
        if (type == RopeType.LINEAR) {
            return new RopeScaling(type, factor, 0, 0, 0);
        }
        return new RopeScaling(
                type,
                factor,
                optionalDouble(rs, "low_freq_factor", 1.0, file),
                optionalDouble(rs, "high_freq_factor", 4.0, file),
                requiredInt(rs, "original_max_position_embeddings", file));
    }

    /**
     * Reads a token id field that may be an int, a list of ints or absent.
     *
     * @param o the object
     * @param field the field name
     * @param file the file, for messages
     * @return the ids, empty when absent
     * @throws CheckpointException if the field has another type
     */
    public static List<Integer> tokenIds(JsonObject o, String field, Path file)
            throws CheckpointException {
        List<Integer> ids = new ArrayList<>();
        if (!o.has(field) || o.get(field).isJsonNull()) {
            return ids;
        }
        JsonElement e = o.get(field);
        if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            for (JsonElement x : a) {
                ids.add(asInt(x, field, file));
            }
        } else {
            ids.add(asInt(e, field, file));
        }
        return ids;
    }

    private static int requiredInt(JsonObject o, String field, Path file) throws CheckpointException {
        if (!o.has(field) || o.get(field).isJsonNull()) {
            throw new CheckpointException(file, "required field '" + field + "' is missing");
        }
        return asInt(o.get(field), field, file);
    }

    private static int asInt(JsonElement e, String field, Path file) throws CheckpointException {
        if (!e.isJsonPrimitive() || !((JsonPrimitive) e).isNumber()) {
            throw new CheckpointException(file, "field '" + field + "' must be an integer, got " + e);
        }
        double d = e.getAsDouble();
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new CheckpointException(file, "field '" + field + "' must be an integer, got " + e);
        }
        return (int) d;
    }

    private static double optionalDouble(JsonObject o, String field, double fallback, Path file)
            throws CheckpointException {
        if (!o.has(field) || o.get(field).isJsonNull()) {
            return fallback;
        }
        JsonElement e = o.get(field);
        if (!e.isJsonPrimitive() || !((JsonPrimitive) e).isNumber()) {
            throw new CheckpointException(file, "field '" + field + "' must be a number, got " + e);
        }
        return e.getAsDouble();
    }
}
