package dev.layerskip.generate.structured;

/**
 * Where a JSON document stands after some characters: an immutable stack of {@link Frame}s, so a state per
 * prefix can be kept and rolled back for free. {@link #step} answers whether a character keeps the text a
 * prefix of a valid document of the schema ({@link SchemaNode}), {@link #completionLength} how many characters
 * at least finish it. Whitespace between tokens is allowed, at most {@value #MAX_WHITESPACE} in a row.
 */
public final class JsonMatcher {

    /** The most whitespace characters in a row. */
    public static final int MAX_WHITESPACE = 16;

    private final Frame top;
    private final JsonMatcher below;
    private final int whitespace;
    private int completionLength = -1; // computed once: the frames below are shared by many states

    private JsonMatcher(Frame top, JsonMatcher below, int whitespace) {
        this.top = top;
        this.below = below;
        this.whitespace = whitespace;
    }

    /**
     * @param root the document's schema
     * @return the state before the first character
     */
    public static JsonMatcher start(SchemaNode root) {
        return new JsonMatcher(new Frame.Value(root), new JsonMatcher(Frame.END, null, 0), 0);
    }

    /**
     * Feeds one character.
     *
     * @param c the character
     * @return the new state, or null if no valid document continues so
     */
    public JsonMatcher step(char c) {
        return top.step(this, c);
    }

    /**
     * Feeds characters.
     *
     * @param text the characters
     * @return the new state, or null if no valid document continues so
     */
    public JsonMatcher step(String text) {
        JsonMatcher s = this;
        for (int i = 0; i < text.length() && s != null; i++) {
            s = s.step(text.charAt(i));
        }
        return s;
    }

    /** @return whether the text is a whole document (nothing may follow) */
    public boolean complete() {
        return top == Frame.END;
    }

    /** @return the fewest characters that finish the document (0 when complete) */
    public int completionLength() {
        if (completionLength < 0) {
            completionLength = top.closeLength() + (below == null ? 0 : below.completionLength());
        }
        return completionLength;
    }

    /** @return the shortest text that finishes the document */
    public String completion() {
        StringBuilder out = new StringBuilder();
        for (JsonMatcher s = this; s != null; s = s.below) {
            out.append(s.top.close());
        }
        return out.toString();
    }

    // ---- transitions, for the frames

    Frame top() {
        return top;
    }

    JsonMatcher below() {
        return below;
    }

    /** Whitespace where the grammar allows it: the same state, one more in the run, or null past the cap. */
    JsonMatcher space() {
        return whitespace >= MAX_WHITESPACE ? null : new JsonMatcher(top, below, whitespace + 1);
    }

    /** The top frame replaced. */
    JsonMatcher replace(Frame f) {
        return new JsonMatcher(f, below, 0);
    }

    /** The top frame replaced by {@code after}, and {@code child} on it. */
    JsonMatcher push(Frame after, Frame child) {
        return new JsonMatcher(child, new JsonMatcher(after, below, 0), 0);
    }

    /** The top frame done: the state below. */
    JsonMatcher pop() {
        return new JsonMatcher(below.top, below.below, 0);
    }

    static boolean isSpace(char c) {
        return c == ' ' || c == '\n' || c == '\t' || c == '\r';
    }
}
