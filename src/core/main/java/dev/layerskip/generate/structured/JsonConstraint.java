package dev.layerskip.generate.structured;

import dev.layerskip.generate.TokenConstraint;

import java.util.List;

/**
 * Constrained decoding of a JSON document ({@code response_format} {@code json_object} or {@code json_schema}):
 * a token may come next only if the text stays a prefix of a valid document that can still be finished, and
 * end-of-sequence added, within the tokens left (every character has a one-character token in the
 * vocabularies this serves), and end-of-sequence only once the document is whole (then only it). A generation
 * with at least {@link #tokensNeeded} tokens therefore always ends with a whole document and end-of-sequence.
 */
public final class JsonConstraint implements TokenConstraint {

    private final SchemaNode schema;
    private final String[] texts;
    private final int[] eos;

    /**
     * @param schema the document's schema
     * @param texts each token's text ({@link TokenTexts}), null for tokens never picked
     * @param eosTokenIds the end-of-sequence ids, at least one
     */
    public JsonConstraint(SchemaNode schema, String[] texts, List<Integer> eosTokenIds) {
        if (eosTokenIds.isEmpty()) {
            throw new IllegalArgumentException("constrained decoding needs an end-of-sequence id to end the document with");
        }
        this.schema = schema;
        this.texts = texts;
        this.eos = eosTokenIds.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * @param schema a document's schema
     * @return the fewest tokens that surely hold its shortest document and end-of-sequence
     */
    public static int tokensNeeded(SchemaNode schema) {
        return JsonMatcher.start(schema).completionLength() + 1;
    }

    @Override
    public TokenConstraint.State start() {
        return new MatcherState(JsonMatcher.start(schema));
    }

    private boolean isEos(int id) {
        for (int e : eos) {
            if (e == id) {
                return true;
            }
        }
        return false;
    }

    /** A matcher state; null once a token broke the document (only end-of-sequence then). */
    private final class MatcherState implements TokenConstraint.State {
        private final JsonMatcher matcher;

        MatcherState(JsonMatcher matcher) {
            this.matcher = matcher;
        }

        @Override
        public TokenConstraint.State advance(int tokenId) {
            String text = tokenId >= 0 && tokenId < texts.length ? texts[tokenId] : null;
            return new MatcherState(matcher == null || text == null ? null : matcher.step(text));
        }

        @Override
        public void mask(float[] logits, int tokensLeft) {
            boolean[] allowed = allowed(logits.length, tokensLeft - 2); // after this token: the rest, then end-of-sequence
            if (noneSet(allowed)) { // no way to finish within the tokens left: keep the text valid at least
                allowed = allowed(logits.length, Integer.MAX_VALUE);
            }
            if (noneSet(allowed)) { // broken, or nothing continues it: end it
                for (int e : eos) {
                    if (e < allowed.length) {
                        allowed[e] = true;
                    }
                }
            }
            for (int id = 0; id < logits.length; id++) {
                if (!allowed[id]) {
                    logits[id] = Float.NEGATIVE_INFINITY;
                }
            }
        }

        /** Tokens that keep the text a valid prefix finishable in {@code charsAfter} more tokens; EOS once whole. */
        private boolean[] allowed(int vocab, int charsAfter) {
            boolean[] out = new boolean[vocab];
            if (matcher == null) {
                return out;
            }
            boolean done = matcher.complete();
            for (int id = 0; id < vocab; id++) {
                if (isEos(id)) {
                    out[id] = done;
                } else if (!done && id < texts.length && texts[id] != null) {
                    JsonMatcher next = matcher.step(texts[id]);
                    out[id] = next != null && next.completionLength() <= charsAfter;
                }
            }
            return out;
        }

        private static boolean noneSet(boolean[] flags) {
            for (boolean f : flags) {
                if (f) {
                    return false;
                }
            }
            return true;
        }
    }
}
