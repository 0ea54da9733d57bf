package dev.layerskip.generate;

import dev.layerskip.json.FieldException;

/**
 * A {@link GenerationRequest} field with a value out of its range, named by its canonical key ({@code max_new_tokens},
 * {@code top_p}, {@code stop_sequences[1]}, ...), so that each protocol can name it as its client sent it
 * ({@code parameters.max_new_tokens} in LMI, {@code max_tokens} in OpenAI, {@code --max-new-tokens} on the CLI).
 */
public final class RequestFieldException extends FieldException {

    private static final long serialVersionUID = 1L;

    /**
     * @param field the canonical key, e.g. {@code top_p}
     * @param problem what is wrong, without the field's name, e.g. {@code must be in (0, 1], got 0.0}
     */
    public RequestFieldException(String field, String problem) {
        super(field, problem);
    }

    /**
     * Throws unless a condition holds.
     *
     * @param ok the condition
     * @param field the canonical key
     * @param problem what is wrong otherwise
     * @throws RequestFieldException if {@code ok} is false
     */
    static void check(boolean ok, String field, String problem) {
        if (!ok) {
            throw new RequestFieldException(field, problem);
        }
    }
}
