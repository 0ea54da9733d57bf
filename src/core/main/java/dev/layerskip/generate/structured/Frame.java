package dev.layerskip.generate.structured;

import java.util.List;

/**
 * One level of a {@link JsonMatcher}'s stack: what the text inside one JSON value may do next, and the
 * fewest characters that close it. Immutable.
 */
sealed interface Frame {

    /** After the whole document: nothing may follow. */
    Frame END = new End();

    /**
     * Feeds a character.
     *
     * @param s the state whose top is this frame
     * @param c the character
     * @return the next state, or null if the character cannot come here
     */
    JsonMatcher step(JsonMatcher s, char c);

    /** @return the fewest characters that close this frame (what follows it is the frames below) */
    int closeLength();

    /** @return those characters */
    String close();

    /** The document is complete. */
    record End() implements Frame {
        @Override
        public JsonMatcher step(JsonMatcher s, char c) {
            return null;
        }

        @Override
        public int closeLength() {
            return 0;
        }

        @Override
        public String close() {
            return "";
        }
    }

    /**
     * Before a value of a schema (whitespace allowed).
     *
     * @param node the value's schema
     */
    record Value(SchemaNode node) implements Frame {
        @Override
        public JsonMatcher step(JsonMatcher s, char c) {
            return JsonMatcher.isSpace(c) ? s.space() : Values.start(s, node, c);
        }

        @Override
        public int closeLength() {
            return Values.minimal(node).length();
        }

        @Override
        public String close() {
            return Values.minimal(node);
        }
    }

    /**
     * Inside a string, after its opening quote.
     *
     * @param escape 0 outside an escape, 1 after a backslash, 2..5 inside {@code \\u} after escape-2 hex digits
     */
    record Str(int escape) implements Frame {
        @Override
        public JsonMatcher step(JsonMatcher s, char c) {
            if (escape == 0) {
                return c == '"' ? s.pop() : c == '\\' ? s.replace(new Str(1)) : c < 0x20 ? null : s.replace(this);
            }
            if (escape == 1) {
                return c == 'u' ? s.replace(new Str(2)) : "\"\\/bfnrt".indexOf(c) >= 0 ? s.replace(new Str(0)) : null;
            }
            boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            return !hex ? null : s.replace(new Str(escape == 5 ? 0 : escape + 1));
        }

        @Override
        public int closeLength() {
            return close().length();
        }

        @Override
        public String close() {
            return escape == 0 ? "\"" : escape == 1 ? "n\"" : "0".repeat(6 - escape) + "\"";
        }
    }

    /**
     * Inside one of fixed texts (true, false, null, enum values).
     *
     * @param candidates the texts still possible
     * @param pos how many characters of them were read
     */
    record Literal(List<String> candidates, int pos) implements Frame {
        @Override
        public JsonMatcher step(JsonMatcher s, char c) {
            List<String> left = new java.util.ArrayList<>(candidates.size());
            for (String t : candidates) {
                if (t.length() > pos && t.charAt(pos) == c) {
                    left.add(t);
                }
            }
            if (left.isEmpty()) {
                return null;
            }
            return left.size() == 1 && left.get(0).length() == pos + 1 ? s.pop() : s.replace(new Literal(left, pos + 1));
        }

        @Override
        public int closeLength() {
            return candidates.stream().mapToInt(t -> t.length() - pos).min().orElse(0);
        }

        @Override
        public String close() {
            String best = candidates.stream().min(java.util.Comparator.comparingInt(String::length)).orElse("");
            return best.substring(Math.min(pos, best.length()));
        }
    }

    /**
     * Inside a number.
     *
     * @param integer whether only an integer may follow
     * @param phase where in the number grammar
     * @param length characters read
     */
    record Num(boolean integer, NumberPhase phase, int length) implements Frame {
        @Override
        public JsonMatcher step(JsonMatcher s, char c) {
            NumberPhase next = phase.next(c, integer);
            if (next != null) {
                return length >= Values.MAX_NUMBER_LENGTH ? null : s.replace(new Num(integer, next, length + 1));
            }
            return phase.terminal() ? s.pop().step(c) : null; // the number ended: the character belongs to what follows
        }

        @Override
        public int closeLength() {
            return phase.terminal() ? 0 : 1;
        }

        @Override
        public String close() {
            return phase.terminal() ? "" : "0";
        }
    }

    /**
     * Inside an object.
     *
     * @param shape its schema
     * @param phase where in the object
     * @param next the first declared property that may still come
     */
    record Obj(SchemaNode.ObjectShape shape, ObjectPhase phase, int next) implements Frame {
        @Override
        public JsonMatcher step(JsonMatcher s, char c) {
            if (JsonMatcher.isSpace(c)) {
                return phase == ObjectPhase.KEY ? null : s.space();
            }
            return switch (phase) {
                case OPEN, COMMA -> c == '"' ? ObjectRules.key(s, this)
                        : c == '}' && phase == ObjectPhase.OPEN && ObjectRules.mayClose(this) ? s.pop() : null;
                case COLON -> c == ':' ? s.push(new Obj(shape, ObjectPhase.AFTER_VALUE, next), new Value(ObjectRules.valueBefore(this)))
                        : null;
                case AFTER_VALUE -> c == ',' && ObjectRules.mayAdd(this) ? s.replace(new Obj(shape, ObjectPhase.COMMA, next))
                        : c == '}' && ObjectRules.mayClose(this) ? s.pop() : null;
                case KEY -> null;
            };
        }

        @Override
        public int closeLength() {
            return ObjectRules.closeLength(this);
        }

        @Override
        public String close() {
            return ObjectRules.close(this);
        }
    }

    /**
     * Inside a declared key, after its opening quote.
     *
     * @param shape the object's schema
     * @param candidates the indices of the properties the key may still name
     * @param pos characters of their quoted names read (the opening quote included)
     */
    record Key(SchemaNode.ObjectShape shape, List<Integer> candidates, int pos) implements Frame {
        @Override
        public JsonMatcher step(JsonMatcher s, char c) {
            List<Integer> left = new java.util.ArrayList<>(candidates.size());
            for (int i : candidates) {
                String q = Values.quote(shape.properties().get(i).name());
                if (q.length() > pos && q.charAt(pos) == c) {
                    left.add(i);
                }
            }
            if (left.isEmpty()) {
                return null;
            }
            int only = left.get(0);
            if (left.size() == 1 && Values.quote(shape.properties().get(only).name()).length() == pos + 1) {
                return s.pop().replace(new Obj(shape, ObjectPhase.COLON, only + 1));
            }
            return s.replace(new Key(shape, left, pos + 1));
        }

        @Override
        public int closeLength() {
            return close().length();
        }

        @Override
        public String close() {
            String best = null;
            for (int i : candidates) { // the key whose rest of the object is shortest
                String rest = Values.quote(shape.properties().get(i).name()).substring(pos)
                        + ObjectRules.close(new Obj(shape, ObjectPhase.COLON, i + 1));
                if (best == null || rest.length() < best.length()) {
                    best = rest;
                }
            }
            return best;
        }
    }

    /**
     * Inside an array.
     *
     * @param items the items' schema
     * @param phase where in the array
     */
    record Arr(SchemaNode items, ArrayPhase phase) implements Frame {
        @Override
        public JsonMatcher step(JsonMatcher s, char c) {
            if (JsonMatcher.isSpace(c)) {
                return s.space();
            }
            return switch (phase) {
                case OPEN -> c == ']' ? s.pop() : item(s, c);
                case AFTER_VALUE -> c == ',' ? s.replace(new Arr(items, ArrayPhase.COMMA)) : c == ']' ? s.pop() : null;
                case COMMA -> item(s, c);
            };
        }

        private JsonMatcher item(JsonMatcher s, char c) {
            return s.push(new Arr(items, ArrayPhase.AFTER_VALUE), new Value(items)).step(c);
        }

        @Override
        public int closeLength() {
            return phase == ArrayPhase.COMMA ? Values.minimal(items).length() + 1 : 1;
        }

        @Override
        public String close() {
            return phase == ArrayPhase.COMMA ? Values.minimal(items) + "]" : "]";
        }
    }

    /** Where in an object. */
    enum ObjectPhase {
        /** After the opening brace. */
        OPEN,
        /** After a comma: a key must come. */
        COMMA,
        /** A key is being read (by the frame above). */
        KEY,
        /** After a key: the colon. */
        COLON,
        /** After a value: a comma or the closing brace. */
        AFTER_VALUE
    }

    /** Where in an array. */
    enum ArrayPhase {
        /** After the opening bracket. */
        OPEN,
        /** After an item. */
        AFTER_VALUE,
        /** After a comma: an item must come. */
        COMMA
    }
}
