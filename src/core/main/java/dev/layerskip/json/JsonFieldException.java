package dev.layerskip.json;

/**
 * A JSON field of the wrong type ({@link JsonFields}): the field's path and what is wrong, kept apart so that each
 * protocol words the error its own way (LMI: {@code parameters.top_k must be an integer, got a string}; OpenAI:
 * {@code 'top_p' must be a number, got a string} with {@code param} set).
 */
public final class JsonFieldException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String field;
    private final String problem;

    /**
     * @param field the field's path, e.g. {@code parameters.top_k}
     * @param problem what is wrong, without the path, e.g. {@code must be an integer, got a string}
     */
    public JsonFieldException(String field, String problem) {
        super(field + " " + problem);
        this.field = field;
        this.problem = problem;
    }

    /** @return the field's path */
    public String field() {
        return field;
    }

    /** @return what is wrong, without the path */
    public String problem() {
        return problem;
    }
}
