package dev.layerskip.json;

/**
 * A named field with a bad value: the field's name and what is wrong, kept apart so that each protocol words the
 * error its own way (LMI: {@code parameters.top_k must be an integer, got a string}; OpenAI: {@code 'top_p' must be
 * in (0, 1], got 1.5} with {@code param} set; the CLI: {@code --top-p must be in (0, 1], got 1.5}).
 */
public class FieldException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String field;
    private final String problem;

    /**
     * @param field the field, e.g. {@code parameters.top_k} or {@code top_p}
     * @param problem what is wrong, without the field, e.g. {@code must be an integer, got a string}
     */
    public FieldException(String field, String problem) {
        super(field + " " + problem);
        this.field = field;
        this.problem = problem;
    }

    /** @return the field */
    public String field() {
        return field;
    }

    /** @return what is wrong with its value, without the field */
    public String problem() {
        return problem;
    }
}
