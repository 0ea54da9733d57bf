package dev.layerskip.checkpoint;

import dev.layerskip.json.StrictJson;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.math.BigInteger;
import java.nio.file.Path;

/**
 * Typed reads of fields of a JSON object from a file, each checked before use: the wrong type,
 * a fraction where an integer belongs, a value out of range or a non-finite number is an error
 * that names the file, the key and the expected type or range.
 */
public final class JsonFields {

    private final JsonObject object;
    private final Path file;
    private final String prefix;

    /**
     * @param object the object
     * @param file the file it came from, for messages
     * @param prefix the path of the object in the file, e.g. {@code "rope_scaling."} ({@code ""} at the top)
     */
    public JsonFields(JsonObject object, Path file, String prefix) {
        this.object = object;
        this.file = file;
        this.prefix = prefix;
    }

    /**
     * @param key a key
     * @return whether the key is present and not null
     */
    public boolean has(String key) {
        return object.has(key) && !object.get(key).isJsonNull();
    }

    /**
     * An integer field that must be present.
     *
     * @param key the key
     * @param min the smallest value accepted
     * @param max the largest value accepted
     * @return the value
     * @throws CheckpointException if it is missing, not an integer or out of range
     */
    public long requiredInteger(String key, long min, long max) throws CheckpointException {
        if (!has(key)) {
            throw error("required field '" + prefix + key + "' is missing (an integer in " + min + ".." + max + ")");
        }
        return integer(key, min, max);
    }

    /**
     * An integer field that may be absent or null.
     *
     * @param key the key
     * @param min the smallest value accepted
     * @param max the largest value accepted
     * @param fallback the value when absent
     * @return the value
     * @throws CheckpointException if present and not an integer or out of range
     */
    public long optionalInteger(String key, long min, long max, long fallback) throws CheckpointException {
        return has(key) ? integer(key, min, max) : fallback;
    }

    private long integer(String key, long min, long max) throws CheckpointException {
        JsonElement e = object.get(key);
        if (!StrictJson.isIntegerLiteral(e)) {
            throw error("'" + prefix + key + "' must be an integer, got " + StrictJson.typeOf(e));
        }
        BigInteger v = StrictJson.integerValue(e);
        if (v.compareTo(BigInteger.valueOf(min)) < 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
            throw error("'" + prefix + key + "' must be in " + min + ".." + max + ", got " + v);
        }
        return v.longValue();
    }

    /**
     * A finite number field that may be absent or null.
     *
     * @param key the key
     * @param min the smallest value accepted
     * @param max the largest value accepted
     * @param fallback the value when absent
     * @return the value
     * @throws CheckpointException if present and not a number, not finite or out of range
     */
    public double optionalNumber(String key, double min, double max, double fallback) throws CheckpointException {
        if (!has(key)) {
            return fallback;
        }
        JsonElement e = object.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw error("'" + prefix + key + "' must be a number, got " + StrictJson.typeOf(e));
        }
        double v = e.getAsDouble();
        if (!Double.isFinite(v) || v < min || v > max) {
            throw error("'" + prefix + key + "' must be a finite number in [" + min + ", " + max + "], got "
                    + e.getAsString());
        }
        return v;
    }

    /**
     * A boolean field that may be absent or null.
     *
     * @param key the key
     * @param fallback the value when absent
     * @return the value
     * @throws CheckpointException if present and not true or false
     */
    public boolean optionalBoolean(String key, boolean fallback) throws CheckpointException {
        if (!has(key)) {
            return fallback;
        }
        JsonElement e = object.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
            throw error("'" + prefix + key + "' must be a boolean (true or false), got " + StrictJson.typeOf(e));
        }
        return e.getAsBoolean();
    }

    /**
     * A string field that may be absent or null.
     *
     * @param key the key
     * @param fallback the value when absent
     * @return the value
     * @throws CheckpointException if present and not a string
     */
    public String optionalString(String key, String fallback) throws CheckpointException {
        if (!has(key)) {
            return fallback;
        }
        JsonElement e = object.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw error("'" + prefix + key + "' must be a string, got " + StrictJson.typeOf(e));
        }
        return e.getAsString();
    }

    /**
     * An object field that may be absent or null.
     *
     * @param key the key
     * @return the fields of the nested object, or null when absent
     * @throws CheckpointException if present and not an object
     */
    public JsonFields optionalObject(String key) throws CheckpointException {
        if (!has(key)) {
            return null;
        }
        JsonElement e = object.get(key);
        if (!e.isJsonObject()) {
            throw error("'" + prefix + key + "' must be an object, got " + StrictJson.typeOf(e));
        }
        return new JsonFields(e.getAsJsonObject(), file, prefix + key + ".");
    }

    /** @return the object read */
    public JsonObject object() {
        return object;
    }

    /**
     * An error about this file.
     *
     * @param message what is wrong
     * @return the exception
     */
    public CheckpointException error(String message) {
        return new CheckpointException(file, message);
    }
}
