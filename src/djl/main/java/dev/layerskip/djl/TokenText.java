package dev.layerskip.djl;

/**
 * A generated token and the text it completes.
 *
 * @param id the token id
 * @param text the new text (may be empty inside a multi-byte character)
 * @param logprob its log-probability and alternatives, or null when the request reports none
 */
public record TokenText(int id, String text, dev.layerskip.generate.TokenLogprob logprob) {

    /**
     * A token without a log-probability.
     *
     * @param id the token id
     * @param text the new text
     */
    public TokenText(int id, String text) {
        this(id, text, null);
    }

    /** Validates the fields. */
    public TokenText {
        if (text == null) {
            throw new IllegalArgumentException("text must not be null (use \"\")");
        }
    }
}
