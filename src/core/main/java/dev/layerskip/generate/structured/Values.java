package dev.layerskip.generate.structured;

import java.util.List;

/** How values of each schema start, and their shortest texts. */
final class Values {

    /** The longest number accepted, in characters. */
    static final int MAX_NUMBER_LENGTH = 24;

    private Values() {}

    /**
     * Starts a value of a schema with its first character, replacing the state's top frame.
     *
     * @param s the state (its top is the value's place)
     * @param node the schema
     * @param c the first character, not whitespace
     * @return the next state, or null if no such value starts with it
     */
    static JsonMatcher start(JsonMatcher s, SchemaNode node, char c) {
        if (node instanceof SchemaNode.Union u) {
            for (SchemaNode option : u.options()) {
                JsonMatcher r = start(s, option, c);
                if (r != null) {
                    return r;
                }
            }
            return null;
        }
        if (node instanceof SchemaNode.EnumShape e) {
            return new Frame.Literal(e.literals(), 0).step(s, c);
        }
        if (node instanceof SchemaNode.StringShape) {
            return c == '"' ? s.replace(new Frame.Str(0)) : null;
        }
        if (node instanceof SchemaNode.ObjectShape o) {
            return c == '{' ? s.replace(new Frame.Obj(o, Frame.ObjectPhase.OPEN, 0)) : null;
        }
        if (node instanceof SchemaNode.ArrayShape a) {
            return c == '[' ? s.replace(new Frame.Arr(a.items(), Frame.ArrayPhase.OPEN)) : null;
        }
        if (node instanceof SchemaNode.NumberShape n) {
            return number(s, n.integer(), c);
        }
        if (node instanceof SchemaNode.BooleanShape) {
            return new Frame.Literal(List.of("true", "false"), 0).step(s, c);
        }
        if (node instanceof SchemaNode.NullShape) {
            return new Frame.Literal(List.of("null"), 0).step(s, c);
        }
        return switch (c) { // any value
            case '"' -> s.replace(new Frame.Str(0));
            case '{' -> s.replace(new Frame.Obj(new SchemaNode.ObjectShape(List.of(), true), Frame.ObjectPhase.OPEN, 0));
            case '[' -> s.replace(new Frame.Arr(node, Frame.ArrayPhase.OPEN));
            default -> {
                JsonMatcher n = number(s, false, c);
                yield n != null ? n : new Frame.Literal(List.of("true", "false", "null"), 0).step(s, c);
            }
        };
    }

    private static JsonMatcher number(JsonMatcher s, boolean integer, char c) {
        NumberPhase p = NumberPhase.start(c);
        return p == null ? null : s.replace(new Frame.Num(integer, p, 1));
    }

    /**
     * The shortest value of a schema.
     *
     * @param node the schema
     * @return its text
     */
    static String minimal(SchemaNode node) {
        if (node instanceof SchemaNode.Union u) {
            return u.options().stream().map(Values::minimal).min(java.util.Comparator.comparingInt(String::length))
                    .orElse("null");
        }
        if (node instanceof SchemaNode.EnumShape e) {
            return e.literals().stream().min(java.util.Comparator.comparingInt(String::length)).orElse("");
        }
        if (node instanceof SchemaNode.ObjectShape o) {
            return "{" + ObjectRules.close(new Frame.Obj(o, Frame.ObjectPhase.OPEN, 0));
        }
        if (node instanceof SchemaNode.StringShape) {
            return "\"\"";
        }
        if (node instanceof SchemaNode.ArrayShape) {
            return "[]";
        }
        if (node instanceof SchemaNode.BooleanShape) {
            return "true";
        }
        if (node instanceof SchemaNode.NullShape) {
            return "null";
        }
        return "0"; // numbers and any value
    }

    /**
     * A key as JSON text: quoted, with quotes, backslashes and control characters escaped.
     *
     * @param name the key
     * @return its JSON text
     */
    static String quote(String name) {
        StringBuilder out = new StringBuilder(name.length() + 2).append('"');
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
