package dev.layerskip.json;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/**
 * Typed reads of optional JSON fields, shared by the request parsers: an absent field or JSON null is null; a value of
 * another type is a {@link JsonFieldException} naming the field's path ({@code at + key}). Integers must be integral
 * (4.0 is 4, 4.5 is an error) and numbers finite.
 */
public final class JsonFields {

    private JsonFields() {}

    /**
     * @param o the object
     * @param key the field
     * @param at the object's path prefix, e.g. {@code "parameters."}, or ""
     * @return the int value, or null when absent
     * @throws JsonFieldException if it is not an integer in int's range
     */
    public static Integer integer(JsonObject o, String key, String at) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        long v = integral(e, at + key);
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw new JsonFieldException(at + key, "is out of range: " + v);
        }
        return (int) v;
    }

    /**
     * @param e a JSON value
     * @param field its path, for the error
     * @return its long value
     * @throws JsonFieldException if it is not an integer in long's range
     */
    public static long integral(JsonElement e, String field) {
        if (!(e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber())) {
            throw new JsonFieldException(field, "must be an integer, got " + StrictJson.brief(e));
        }
        try {
            return e.getAsBigDecimal().longValueExact();
        } catch (ArithmeticException | NumberFormatException ex) {
            throw new JsonFieldException(field, "must be an integer, got " + StrictJson.brief(e));
        }
    }

    /**
     * @param o the object
     * @param key the field
     * @param at the object's path prefix, or ""
     * @return the finite number, or null when absent
     * @throws JsonFieldException if it is not a finite number
     */
    public static Double number(JsonObject o, String key, String at) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!(e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber())) {
            throw new JsonFieldException(at + key, "must be a number, got " + StrictJson.brief(e));
        }
        double v;
        try {
            v = e.getAsDouble();
        } catch (NumberFormatException ex) {
            throw new JsonFieldException(at + key, "must be a number, got " + StrictJson.brief(e));
        }
        if (!Double.isFinite(v)) {
            throw new JsonFieldException(at + key, "must be finite, got " + StrictJson.brief(e));
        }
        return v;
    }

    /**
     * @param o the object
     * @param key the field
     * @param at the object's path prefix, or ""
     * @return the boolean, or null when absent
     * @throws JsonFieldException if it is not true or false
     */
    public static Boolean bool(JsonObject o, String key, String at) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!(e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean())) {
            throw new JsonFieldException(at + key, "must be true or false, got " + StrictJson.brief(e));
        }
        return e.getAsBoolean();
    }

    /**
     * @param o the object
     * @param key the field
     * @param at the object's path prefix, or ""
     * @return the string, or null when absent
     * @throws JsonFieldException if it is not a string
     */
    public static String string(JsonObject o, String key, String at) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!StrictJson.isString(e)) {
            throw new JsonFieldException(at + key, "must be a string, got " + StrictJson.brief(e));
        }
        return e.getAsString();
    }
}
