package dev.layerskip.djl;

/**
 * A generated token and the text it completes.
 *
 * @param id the token id
 * @param text the new text (may be empty inside a multi-byte character)
 */
public record TokenText(int id, String text) {

    /** Validates the fields. */
    public TokenText {
        if (text == null) {
            throw new IllegalArgumentException("text must not be null (use \"\")");
        }
    }
}
