package dev.layerskip.eval.task;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;

import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads task files: JSON Lines, one object per line with a string {@code "prompt"}, a string
 * {@code "reference"}, and optionally {@code "stop"} (a string or an array of strings) and a string
 * {@code "id"}. Parsing is strict and nothing is skipped: a blank line, invalid JSON, a missing or
 * unknown field, a wrong type, an empty prompt or stop string, or a repeated id is an error naming
 * the file and the line.
 */
public final class TaskFile {

    /** Largest task file read, in bytes. */
    public static final long MAX_BYTES = 256L << 20;

    private TaskFile() {}

    /**
     * Reads a task file.
     *
     * @param file the JSONL file
     * @return its examples, in file order
     * @throws TaskFileException naming the file and line of the first problem
     * @throws IOException if the file cannot be read
     */
    public static List<TaskExample> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new TaskFileException(file + ": task file not found");
        }
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new TaskFileException(file + ": " + size + " bytes, more than the " + MAX_BYTES + " a task file may have");
        }
        return parse(file.toString(), Files.readAllBytes(file));
    }

    /**
     * Parses task file content.
     *
     * @param name how errors name the file
     * @param content the bytes of the file (UTF-8 JSON Lines)
     * @return its examples, in order
     * @throws TaskFileException naming the file and line of the first problem
     */
    public static List<TaskExample> parse(String name, byte[] content) throws TaskFileException {
        List<TaskExample> out = new ArrayList<>();
        Map<String, Integer> idLines = new HashMap<>();
        int start = 0;
        int line = 0;
        while (start < content.length) {
            line++;
            int end = start;
            while (end < content.length && content[end] != '\n') {
                end++;
            }
            int stop = end > start && content[end - 1] == '\r' ? end - 1 : end;
            String where = name + ":" + line;
            String text = decode(content, start, stop, where);
            if (text.isBlank()) {
                throw new TaskFileException(where + ": empty line (every line must be one JSON object)");
            }
            TaskExample example = example(text, where, line);
            Integer previous = idLines.put(example.id(), line);
            if (previous != null) {
                throw new TaskFileException(where + ": id \"" + example.id() + "\" is already used on line " + previous);
            }
            out.add(example);
            start = end + 1;
        }
        if (out.isEmpty()) {
            throw new TaskFileException(name + ": no examples (the file is empty)");
        }
        return out;
    }

    private static String decode(byte[] content, int from, int to, String where) throws TaskFileException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(content, from, to - from))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new TaskFileException(where + ": not UTF-8 text", e);
        }
    }

    private static TaskExample example(String text, String where, int line) throws TaskFileException {
        String prompt = null;
        String reference = null;
        String id = null;
        List<String> stop = List.of();
        Set<String> seen = new HashSet<>();
        try (JsonReader reader = new JsonReader(new StringReader(text))) {
            if (reader.peek() != JsonToken.BEGIN_OBJECT) {
                throw new TaskFileException(where + ": expected a JSON object, got " + describe(reader.peek()));
            }
            reader.beginObject();
            while (reader.hasNext()) {
                String field = reader.nextName();
                if (!seen.add(field)) {
                    throw new TaskFileException(where + ": field \"" + field + "\" appears twice");
                }
                switch (field) {
                    case "prompt":
                        prompt = string(reader, where, field);
                        break;
                    case "reference":
                        reference = string(reader, where, field);
                        break;
                    case "id":
                        id = string(reader, where, field);
                        if (id.isEmpty()) {
                            throw new TaskFileException(where + ": empty \"id\"");
                        }
                        break;
                    case "stop":
                        stop = stops(reader, where);
                        break;
                    default:
                        throw new TaskFileException(where + ": unknown field \"" + field
                                + "\" (expected prompt, reference, stop, id)");
                }
            }
            reader.endObject();
            requireEnd(reader, where);
        } catch (TaskFileException e) {
            throw e;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new TaskFileException(where + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        if (prompt == null) {
            throw new TaskFileException(where + ": missing field \"prompt\"");
        }
        if (reference == null) {
            throw new TaskFileException(where + ": missing field \"reference\"");
        }
        if (prompt.isEmpty()) {
            throw new TaskFileException(where + ": empty prompt");
        }
        return new TaskExample(id != null ? id : "line " + line, prompt, reference, stop, where);
    }

    // refuses anything after the line's object
    private static void requireEnd(JsonReader reader, String where) throws IOException {
        boolean more;
        try {
            more = reader.peek() != JsonToken.END_DOCUMENT;
        } catch (MalformedJsonException e) {
            more = true; // a strict reader refuses a second value outright
        }
        if (more) {
            throw new TaskFileException(where + ": more than one JSON value on the line");
        }
    }

    private static String string(JsonReader reader, String where, String field) throws IOException {
        JsonToken token = reader.peek();
        if (token != JsonToken.STRING) {
            throw new TaskFileException(where + ": field \"" + field + "\" must be a string, got " + describe(token));
        }
        return reader.nextString();
    }

    private static List<String> stops(JsonReader reader, String where) throws IOException {
        List<String> out = new ArrayList<>();
        if (reader.peek() == JsonToken.BEGIN_ARRAY) {
            reader.beginArray();
            while (reader.hasNext()) {
                out.add(string(reader, where, "stop"));
            }
            reader.endArray();
        } else if (reader.peek() == JsonToken.STRING) {
            out.add(reader.nextString());
        } else {
            throw new TaskFileException(where + ": field \"stop\" must be a string or an array of strings, got "
                    + describe(reader.peek()));
        }
        for (String s : out) {
            if (s.isEmpty()) {
                throw new TaskFileException(where + ": empty stop string");
            }
        }
        return out;
    }

    private static String describe(JsonToken token) {
        switch (token) {
            case BEGIN_ARRAY:
                return "an array";
            case BEGIN_OBJECT:
                return "an object";
            case NUMBER:
                return "a number";
            case BOOLEAN:
                return "a boolean";
            case NULL:
                return "null";
            case END_DOCUMENT:
                return "nothing";
            default:
                return token.toString().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
