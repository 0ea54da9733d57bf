package dev.layerskip.json;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The project's one JSON reader: strict RFC 8259 JSON, built only on Gson API that exists since Gson
 * 2.8.5 (so the library works where an old Gson comes first on the class path, as in IJava).
 *
 * <p>Refused, with a message in the project's words: comments, single quotes, unquoted names,
 * trailing commas, NaN/Infinity, a byte-order mark, text after the value, duplicate names in an
 * object, and nesting deeper than {@value #MAX_DEPTH} levels. Numbers keep their literal text, so
 * {@link #isIntegerLiteral(JsonElement)} can tell {@code 4} from {@code 4.0} or {@code 4e0}.
 */
public final class StrictJson {

    /** The deepest nesting of arrays and objects accepted. */
    public static final int MAX_DEPTH = 64;

    private static final Pattern INTEGER = Pattern.compile("-?(0|[1-9][0-9]*)");
    private static final Pattern LOCATION = Pattern.compile("line (\\d+) column (\\d+)");

    private StrictJson() {}

    /**
     * Parses one JSON value that must make up the whole text.
     *
     * @param reader the text
     * @return the value; numbers keep their literal text
     * @throws StrictJsonException if the text is not strict JSON (the message says what and where)
     * @throws IOException if reading fails
     */
    public static JsonElement parse(Reader reader) throws StrictJsonException, IOException {
        JsonReader json = new JsonReader(reader); // strict unless setLenient(true)
        try {
            if (json.peek() == JsonToken.END_DOCUMENT) {
                throw new StrictJsonException("the text is empty; expected a JSON value");
            }
            JsonElement value = read(json, 0);
            String at = where(json.toString());
            boolean end;
            try {
                end = json.peek() == JsonToken.END_DOCUMENT;
            } catch (MalformedJsonException e) {
                end = false;
            }
            if (!end) {
                throw new StrictJsonException("malformed JSON" + at + ": text after the JSON value");
            }
            return value;
        } catch (MalformedJsonException | IllegalStateException | NumberFormatException e) {
            throw new StrictJsonException(describe(e.getMessage()), e);
        } catch (java.io.EOFException e) {
            throw new StrictJsonException("malformed JSON: the text ends before the value is complete", e);
        }
    }

    /**
     * Parses a string that must be one JSON value.
     *
     * @param text the text
     * @return the value
     * @throws StrictJsonException if the text is not strict JSON
     */
    public static JsonElement parse(String text) throws StrictJsonException {
        if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
            throw new StrictJsonException("the text starts with a byte-order mark; write UTF-8 without one");
        }
        try {
            return parse(new StringReader(text));
        } catch (StrictJsonException e) {
            throw e;
        } catch (IOException e) {
            throw new StrictJsonException("cannot read: " + e.getMessage(), e); // unreachable for a string
        }
    }

    /**
     * Whether a value is a number written as an integer literal ({@code -?(0|[1-9][0-9]*)}: no
     * fraction, no exponent).
     *
     * @param e the value
     * @return true for integer literals
     */
    public static boolean isIntegerLiteral(JsonElement e) {
        return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()
                && INTEGER.matcher(e.getAsString()).matches();
    }

    /**
     * The exact value of an integer literal.
     *
     * @param e a value for which {@link #isIntegerLiteral(JsonElement)} holds
     * @return its value
     */
    public static BigInteger integerValue(JsonElement e) {
        return new BigInteger(e.getAsString());
    }

    /**
     * A short description of a JSON value's type for messages: "a string", "an object", ...
     *
     * @param e the value, or null when absent
     * @return the description
     */
    public static String typeOf(JsonElement e) {
        if (e == null) {
            return "nothing";
        } else if (e.isJsonNull()) {
            return "null";
        } else if (e.isJsonObject()) {
            return "an object";
        } else if (e.isJsonArray()) {
            return "an array";
        }
        JsonPrimitive p = e.getAsJsonPrimitive();
        if (p.isBoolean()) {
            return "a boolean (" + p.getAsBoolean() + ")";
        } else if (p.isNumber()) {
            return "a number (" + p.getAsString() + ")";
        }
        String s = p.getAsString();
        return "a string (\"" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\")";
    }

    private static JsonElement read(JsonReader json, int depth) throws StrictJsonException, IOException {
        JsonToken token = json.peek();
        switch (token) {
            case BEGIN_ARRAY -> {
                checkDepth(depth, json);
                JsonArray array = new JsonArray();
                json.beginArray();
                while (json.hasNext()) {
                    array.add(read(json, depth + 1));
                }
                json.endArray();
                return array;
            }
            case BEGIN_OBJECT -> {
                checkDepth(depth, json);
                JsonObject object = new JsonObject();
                json.beginObject();
                while (json.hasNext()) {
                    String name = json.nextName();
                    if (object.has(name)) {
                        throw new StrictJsonException("malformed JSON" + where(json.toString()) + ": duplicate name \"" + name + "\"");
                    }
                    object.add(name, read(json, depth + 1));
                }
                json.endObject();
                return object;
            }
            case STRING -> {
                return new JsonPrimitive(json.nextString());
            }
            case NUMBER -> {
                return new JsonPrimitive(new Literal(json.nextString()));
            }
            case BOOLEAN -> {
                return new JsonPrimitive(json.nextBoolean());
            }
            case NULL -> {
                json.nextNull();
                return JsonNull.INSTANCE;
            }
            default -> throw new StrictJsonException("malformed JSON" + where(json.toString()) + ": unexpected " + token);
        }
    }

    private static void checkDepth(int depth, JsonReader json) throws StrictJsonException {
        if (depth >= MAX_DEPTH) {
            throw new StrictJsonException("malformed JSON" + where(json.toString()) + ": nested deeper than " + MAX_DEPTH + " levels");
        }
    }

    /** Turns Gson's message (which advises lenient mode and links its manual) into the project's words. */
    private static String describe(String gsonMessage) {
        String message = gsonMessage == null ? "" : gsonMessage;
        String first = message.lines().findFirst().orElse("");
        String at = where(first);
        if (first.startsWith("Use JsonReader.setLenient") || first.startsWith("Use JsonReader.setStrictness")
                || first.contains("malformed JSON")) {
            return "malformed JSON" + at
                    + ": not strict JSON (comments, single quotes, unquoted names or values, trailing commas, NaN and"
                    + " a byte-order mark are not allowed)";
        }
        int cut = first.indexOf(" at line ");
        String what = cut > 0 ? first.substring(0, cut) : first;
        if (what.isEmpty()) {
            what = "unreadable";
        }
        return "malformed JSON" + at + ": " + what.substring(0, 1).toLowerCase(java.util.Locale.ROOT) + what.substring(1);
    }

    private static String where(String text) {
        Matcher m = LOCATION.matcher(text == null ? "" : text);
        return m.find() ? " at line " + m.group(1) + ", column " + m.group(2) : "";
    }

    /** A JSON number kept as its literal text; Gson's JsonPrimitive accepts any Number. */
    private static final class Literal extends Number {
        private static final long serialVersionUID = 1L;
        private final String text;

        Literal(String text) {
            this.text = text;
            new BigDecimal(text); // validates: throws NumberFormatException otherwise
        }

        @Override
        public int intValue() {
            return new BigDecimal(text).intValue();
        }

        @Override
        public long longValue() {
            return new BigDecimal(text).longValue();
        }

        @Override
        public float floatValue() {
            return Float.parseFloat(text);
        }

        @Override
        public double doubleValue() {
            return Double.parseDouble(text);
        }

        @Override
        public String toString() {
            return text;
        }
    }

    /**
     * @param e a JSON value
     * @return whether it is a string
     */
    public static boolean isString(JsonElement e) {
        return e.isJsonPrimitive() && e.getAsJsonPrimitive().isString();
    }

    /**
     * A value as error messages quote it: its JSON text, cut to 60 characters.
     *
     * @param e a JSON value
     * @return the quoted text
     */
    public static String brief(JsonElement e) {
        String s = e.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
