package dev.layerskip.generate.structured;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a JSON Schema into a {@link SchemaNode}: {@code type} (object, array, string, number, integer,
 * boolean, null, or a list of them), {@code properties}, {@code required}, {@code items}, {@code enum},
 * {@code const}, {@code anyOf} / {@code oneOf}, and local {@code $ref}s into {@code $defs} / {@code definitions}.
 * Annotations and keywords that do not change what a document may look like here ({@code title},
 * {@code description}, {@code additionalProperties}, {@code format}, ...) are ignored; every error names the
 * schema path.
 */
public final class SchemaParser {

    private static final Gson GSON = new Gson();
    private static final int MAX_DEPTH = 32;

    private final JsonObject root;

    private SchemaParser(JsonObject root) {
        this.root = root;
    }

    /**
     * Parses a schema whose documents are objects or arrays.
     *
     * @param schema the schema
     * @return its node
     * @throws IllegalArgumentException naming the path of what is not supported
     */
    public static SchemaNode parse(JsonObject schema) {
        SchemaNode node = new SchemaParser(schema).node(schema, "schema", 0);
        if (!(node instanceof SchemaNode.ObjectShape) && !(node instanceof SchemaNode.ArrayShape)) {
            throw new IllegalArgumentException("schema: the document must be an object or an array (\"type\": \"object\")");
        }
        return node;
    }

    /** @return the schema of {@code response_format: json_object}: an object with any keys and values */
    public static SchemaNode anyObject() {
        return new SchemaNode.ObjectShape(List.of(), true);
    }

    private SchemaNode node(JsonElement e, String at, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException(at + ": nested deeper than " + MAX_DEPTH + " levels (a recursive $ref?)");
        }
        if (e == null || !e.isJsonObject()) {
            throw new IllegalArgumentException(at + " must be a schema object, got " + e);
        }
        JsonObject o = e.getAsJsonObject();
        if (o.has("$ref")) {
            return node(resolve(o.get("$ref"), at), at + ".$ref", depth + 1);
        }
        if (o.has("enum") || o.has("const")) {
            JsonArray values = o.has("const") ? single(o.get("const")) : array(o.get("enum"), at + ".enum");
            return enumeration(values, at);
        }
        for (String key : List.of("anyOf", "oneOf")) {
            if (o.has(key)) {
                JsonArray options = array(o.get(key), at + "." + key);
                List<SchemaNode> nodes = new ArrayList<>();
                for (int i = 0; i < options.size(); i++) {
                    nodes.add(node(options.get(i), at + "." + key + "[" + i + "]", depth + 1));
                }
                return nodes.size() == 1 ? nodes.get(0) : new SchemaNode.Union(nodes);
            }
        }
        JsonElement type = o.get("type");
        if (type == null) {
            return o.has("properties") ? object(o, at, depth) : new SchemaNode.AnyValue();
        }
        if (type.isJsonArray()) {
            List<SchemaNode> nodes = new ArrayList<>();
            for (JsonElement t : type.getAsJsonArray()) {
                nodes.add(typed(o, t, at, depth));
            }
            return nodes.size() == 1 ? nodes.get(0) : new SchemaNode.Union(nodes);
        }
        return typed(o, type, at, depth);
    }

    private SchemaNode typed(JsonObject o, JsonElement type, String at, int depth) {
        String t = type.isJsonPrimitive() && type.getAsJsonPrimitive().isString() ? type.getAsString() : String.valueOf(type);
        return switch (t) {
            case "object" -> object(o, at, depth);
            case "array" -> new SchemaNode.ArrayShape(o.has("items") ? node(o.get("items"), at + ".items", depth + 1)
                    : new SchemaNode.AnyValue());
            case "string" -> new SchemaNode.StringShape();
            case "number" -> new SchemaNode.NumberShape(false);
            case "integer" -> new SchemaNode.NumberShape(true);
            case "boolean" -> new SchemaNode.BooleanShape();
            case "null" -> new SchemaNode.NullShape();
            default -> throw new IllegalArgumentException(at + ".type: unknown type " + t);
        };
    }

    private SchemaNode object(JsonObject o, String at, int depth) {
        Set<String> required = new HashSet<>();
        if (o.has("required")) {
            for (JsonElement r : array(o.get("required"), at + ".required")) {
                required.add(r.getAsString());
            }
        }
        JsonElement props = o.get("properties");
        if (props == null || props.getAsJsonObject().size() == 0) {
            return new SchemaNode.ObjectShape(List.of(), true);
        }
        if (!props.isJsonObject()) {
            throw new IllegalArgumentException(at + ".properties must be an object");
        }
        List<SchemaNode.Property> out = new ArrayList<>();
        for (Map.Entry<String, JsonElement> p : props.getAsJsonObject().entrySet()) {
            out.add(new SchemaNode.Property(p.getKey(), node(p.getValue(), at + ".properties." + p.getKey(), depth + 1),
                    required.remove(p.getKey())));
        }
        if (!required.isEmpty()) {
            throw new IllegalArgumentException(at + ".required names properties it does not declare: " + required);
        }
        return new SchemaNode.ObjectShape(out, false);
    }

    private SchemaNode enumeration(JsonArray values, String at) {
        List<String> literals = new ArrayList<>();
        for (JsonElement v : values) {
            if (v.isJsonObject() || v.isJsonArray()) {
                throw new IllegalArgumentException(at + ".enum: only strings, numbers, booleans and null are supported");
            }
            literals.add(GSON.toJson(v));
        }
        for (String a : literals) {
            for (String b : literals) {
                if (a != b && b.startsWith(a) && !a.startsWith("\"")) {
                    throw new IllegalArgumentException(at + ".enum: " + a + " is a prefix of " + b);
                }
            }
        }
        if (literals.isEmpty()) {
            throw new IllegalArgumentException(at + ".enum must not be empty");
        }
        return new SchemaNode.EnumShape(literals);
    }

    private JsonElement resolve(JsonElement ref, String at) {
        String path = ref.isJsonPrimitive() ? ref.getAsString() : "";
        for (String prefix : List.of("#/$defs/", "#/definitions/")) {
            if (path.startsWith(prefix)) {
                JsonElement defs = root.get(prefix.substring(2, prefix.length() - 1));
                String name = path.substring(prefix.length());
                if (defs != null && defs.isJsonObject() && defs.getAsJsonObject().has(name)) {
                    return defs.getAsJsonObject().get(name);
                }
            }
        }
        if (path.equals("#")) {
            return root;
        }
        throw new IllegalArgumentException(at + ".$ref: only local references into $defs or definitions are supported, got "
                + ref);
    }

    private static JsonArray array(JsonElement e, String at) {
        if (e == null || !e.isJsonArray()) {
            throw new IllegalArgumentException(at + " must be an array");
        }
        return e.getAsJsonArray();
    }

    private static JsonArray single(JsonElement e) {
        JsonArray a = new JsonArray();
        a.add(e);
        return a;
    }
}
