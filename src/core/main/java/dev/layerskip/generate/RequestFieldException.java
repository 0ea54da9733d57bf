package dev.layerskip.generate;

/**
 * A {@link GenerationRequest} field with a value out of its range. The field is named by its canonical key
 * ({@code max_new_tokens}, {@code top_p}, ...), so that each protocol can name it as its client sent it
 * ({@code parameters.max_new_tokens} in LMI, {@code max_tokens} in OpenAI, {@code --max-new-tokens} on the CLI).
 */
public final class RequestFieldException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String field;
    private final String problem;

    /**
     * @param field the canonical key, e.g. {@code top_p}
     * @param problem what is wrong, without the field's name, e.g. {@code must be in (0, 1], got 0.0}
     */
    public RequestFieldException(String field, String problem) {
        super(field + " " + problem);
        this.field = field;
        this.problem = problem;
    }

    /** @return the canonical key of the field */
    public String field() {
        return field;
    }

    /** @return what is wrong with its value, without the field's name */
    public String problem() {
        return problem;
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
