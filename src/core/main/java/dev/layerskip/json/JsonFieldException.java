package dev.layerskip.json;

/** A JSON field of the wrong type ({@link JsonFields}), named by its path, e.g. {@code parameters.top_k}. */
public final class JsonFieldException extends FieldException {

    private static final long serialVersionUID = 1L;

    /**
     * @param field the field's path, e.g. {@code parameters.top_k}
     * @param problem what is wrong, e.g. {@code must be an integer, got a string}
     */
    public JsonFieldException(String field, String problem) {
        super(field, problem);
    }
}
