package dev.layerskip.checkpoint;

import dev.layerskip.json.StrictJson;
import dev.layerskip.json.StrictJsonException;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads a Hugging Face {@code config.json} of a {@code LlamaForCausalLM} into a {@link LlamaConfig}. */
public final class LlamaConfigJson {

    /** The largest JSON file of a checkpoint read (configs and shard indexes are far smaller). */
    public static final long MAX_JSON_BYTES = 64L << 20;

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
        byte[] bytes;
        try {
            long size = Files.size(file);
            if (size > MAX_JSON_BYTES) {
                throw new CheckpointException(file, "is " + size + " bytes; JSON files of a checkpoint are at most "
                        + MAX_JSON_BYTES + " bytes");
            }
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, "file not found", e);
        } catch (CheckpointException e) {
            throw e;
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + e.getMessage(), e);
        }
        JsonElement root = parseStrict(bytes, file);
        if (!root.isJsonObject()) {
            throw new CheckpointException(file, "expected a JSON object at the top level, got " + StrictJson.typeOf(root));
        }
        return root.getAsJsonObject();
    }

    /**
     * Parses UTF-8 bytes as strict JSON (see {@link StrictJson}), with errors that name the file.
     *
     * @param bytes the bytes
     * @param file the file they came from, for messages
     * @return the value
     * @throws CheckpointException if the bytes are not UTF-8 or not strict JSON
     */
    public static JsonElement parseStrict(byte[] bytes, Path file) throws CheckpointException {
        if (bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB && (bytes[2] & 0xff) == 0xBF) {
            throw new CheckpointException(file, "starts with a UTF-8 byte-order mark; save it as UTF-8 without one");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new CheckpointException(file, "is not valid UTF-8", e);
        }
        try {
            return StrictJson.parse(text);
        } catch (StrictJsonException e) {
            throw new CheckpointException(file, e.getMessage(), e);
        }
    }

    /**
     * Builds a configuration from a parsed {@code config.json} object. Every size is checked against
     * the bounds of {@link LlamaConfig} before anything uses it; wrong types name the key and the
     * expected type.
     *
     * @param o the object
     * @param file the file it came from, for messages
     * @return the configuration
     * @throws CheckpointException if a field is missing, of the wrong type or out of range
     */
    public static LlamaConfig parse(JsonObject o, Path file) throws CheckpointException {
        JsonFields f = new JsonFields(o, file, "");
        checkArchitecture(f, file);
        int hidden = (int) f.requiredInteger("hidden_size", 1, LlamaConfig.MAX_HIDDEN_SIZE);
        int heads = (int) f.requiredInteger("num_attention_heads", 1, LlamaConfig.MAX_HEADS);
        int kvHeads = (int) f.optionalInteger("num_key_value_heads", 1, heads, heads);
        if (!f.has("head_dim") && hidden % heads != 0) {
            throw f.error("'hidden_size' (" + hidden + ") is not a multiple of 'num_attention_heads' (" + heads
                    + ") and 'head_dim' is not set");
        }
        int headDim = (int) f.optionalInteger("head_dim", 2, LlamaConfig.MAX_HEAD_DIM, hidden / heads);
        int vocab = (int) f.requiredInteger("vocab_size", 1, LlamaConfig.MAX_VOCAB_SIZE);
        try {
            return new LlamaConfig(
                    hidden,
                    (int) f.requiredInteger("intermediate_size", 1, LlamaConfig.MAX_INTERMEDIATE_SIZE),
                    (int) f.requiredInteger("num_hidden_layers", 1, LlamaConfig.MAX_LAYERS),
                    heads,
                    kvHeads,
                    headDim,
                    f.optionalNumber("rms_norm_eps", 0, LlamaConfig.MAX_RMS_NORM_EPS, 1e-6),
                    f.optionalNumber("rope_theta", 1e-3, LlamaConfig.MAX_ROPE_THETA, 10000.0),
                    ropeScaling(f),
                    f.optionalBoolean("tie_word_embeddings", false),
                    vocab,
                    (int) f.optionalInteger("max_position_embeddings", 1, LlamaConfig.MAX_POSITIONS, 2048),
                    (int) f.optionalInteger("bos_token_id", 0, vocab - 1, -1),
                    tokenIds(o, "eos_token_id", file),
                    f.optionalString("torch_dtype", null));
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(file, e.getMessage(), e);
        }
    }

    private static void checkArchitecture(JsonFields f, Path file) throws CheckpointException {
        JsonObject o = f.object();
        if (f.has("architectures")) {
            JsonElement a = o.get("architectures");
            if (!a.isJsonArray()) {
                throw f.error("'architectures' must be an array of strings, got " + StrictJson.typeOf(a));
            }
            for (JsonElement name : a.getAsJsonArray()) {
                if (!name.isJsonPrimitive() || !name.getAsJsonPrimitive().isString()) {
                    throw f.error("'architectures' must be an array of strings, found " + StrictJson.typeOf(name));
                }
                if (!name.getAsString().equals("LlamaForCausalLM")) {
                    throw f.error("unsupported architecture '" + name.getAsString() + "' (supported: LlamaForCausalLM)");
                }
            }
        }
        String modelType = f.optionalString("model_type", null);
        if (modelType != null && !modelType.equals("llama")) {
            throw f.error("unsupported model_type '" + modelType + "' (supported: llama)");
        }
        if (!f.has("architectures") && modelType == null) {
            throw f.error("neither 'architectures' nor 'model_type' is set; expected LlamaForCausalLM");
        }
        String act = f.optionalString("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw f.error("unsupported hidden_act '" + act + "' (supported: silu)");
        }
        for (String bias : new String[] {"attention_bias", "mlp_bias"}) {
            if (f.optionalBoolean(bias, false)) {
                throw f.error("'" + bias + "' = true is not supported");
            }
        }
    }

    private static RopeScaling ropeScaling(JsonFields f) throws CheckpointException {
        JsonFields rs = f.optionalObject("rope_scaling");
        if (rs == null) {
            return RopeScaling.NONE;
        }
        String typeField = rs.has("rope_type") ? "rope_type" : "type";
        String typeName = rs.optionalString(typeField, null);
        if (typeName == null) {
            throw f.error("required field 'rope_scaling.rope_type' is missing");
        }
        RopeType type;
        try {
            type = RopeType.fromConfigName(typeName);
        } catch (IllegalArgumentException e) {
            throw f.error("'rope_scaling." + typeField + "': " + e.getMessage());
        }
        if (type == RopeType.DEFAULT) {
            return RopeScaling.NONE;
        }
        if (!rs.has("factor")) {
            throw f.error("required field 'rope_scaling.factor' is missing");
        }
        double factor = rs.optionalNumber("factor", 1e-3, RopeScaling.MAX_FACTOR, 1);
        try {
            if (type == RopeType.LINEAR) {
                return new RopeScaling(type, factor, 0, 0, 0);
            }
            return new RopeScaling(
                    type,
                    factor,
                    rs.optionalNumber("low_freq_factor", 1e-6, RopeScaling.MAX_FACTOR, 1.0),
                    rs.optionalNumber("high_freq_factor", 1e-6, RopeScaling.MAX_FACTOR, 4.0),
                    (int) rs.requiredInteger("original_max_position_embeddings", 1, LlamaConfig.MAX_POSITIONS));
        } catch (IllegalArgumentException e) {
            throw f.error(e.getMessage());
        }
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
                ids.add(asId(x, field, file));
            }
        } else {
            ids.add(asId(e, field, file));
        }
        return ids;
    }

    private static int asId(JsonElement e, String field, Path file) throws CheckpointException {
        if (!StrictJson.isIntegerLiteral(e)) {
            throw new CheckpointException(file, "'" + field + "' must be an integer token id or a list of them, got "
                    + StrictJson.typeOf(e));
        }
        java.math.BigInteger v = StrictJson.integerValue(e);
        if (v.signum() < 0 || v.bitLength() > 31) {
            throw new CheckpointException(file, "'" + field + "' must be a token id in 0.."
                    + Integer.MAX_VALUE + ", got " + v);
        }
        return v.intValue();
    }
}
