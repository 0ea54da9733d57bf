package dev.layerskip.djl;

import java.util.Locale;
import java.util.Map;

/**
 * Reads typed values from DJL's argument maps ({@code Criteria.optArgument} values, which may be
 * any object, and serving.properties entries, which are strings). Every error names the key.
 */
final class ArgumentValues {

    private final Map<String, ?> arguments;
    private final String origin;

    /**
     * @param arguments the arguments
     * @param origin where they came from, for messages (e.g. "Criteria/serving.properties argument")
     */
    ArgumentValues(Map<String, ?> arguments, String origin) {
        this.arguments = arguments == null ? Map.of() : arguments;
        this.origin = origin;
    }

    boolean has(String key) {
        Object v = arguments.get(key);
        return v != null && !v.toString().isBlank();
    }

    String string(String key, String fallback) {
        return has(key) ? arguments.get(key).toString().trim() : fallback;
    }

    Integer integer(String key) {
        Long v = longValue(key);
        if (v != null && (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE)) {
            throw new IllegalArgumentException(origin + " '" + key + "' is out of range: " + v);
        }
        return v == null ? null : v.intValue();
    }

    Long longValue(String key) {
        if (!has(key)) {
            return null;
        }
        Object v = arguments.get(key);
        if (v instanceof Integer || v instanceof Long || v instanceof Short) {
            return ((Number) v).longValue();
        }
        try {
            return Long.valueOf(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(origin + " '" + key + "' must be an integer, got '" + v + "'", e);
        }
    }

    Double number(String key) {
        if (!has(key)) {
            return null;
        }
        Object v = arguments.get(key);
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.valueOf(v.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(origin + " '" + key + "' must be a number, got '" + v + "'", e);
        }
    }

    Boolean bool(String key) {
        if (!has(key)) {
            return null;
        }
        Object v = arguments.get(key);
        if (v instanceof Boolean b) {
            return b;
        }
        String s = v.toString().trim().toLowerCase(Locale.ROOT);
        if (s.equals("true") || s.equals("false")) {
            return Boolean.valueOf(s);
        }
        throw new IllegalArgumentException(origin + " '" + key + "' must be true or false, got '" + v + "'");
    }
}
