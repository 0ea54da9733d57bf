package dev.layerskip.djl;

/**
 * A request that cannot be served as sent: malformed JSON, a field of the wrong type or out of range,
 * a prompt longer than the context. Answered with {@link #BAD_REQUEST}.
 */
public final class InvalidRequestException extends Exception {

    private static final long serialVersionUID = 1L;

    /** The status code of a request the client must fix. */
    public static final int BAD_REQUEST = 400;

    /**
     * @param message what is wrong, naming the field and the value
     */
    public InvalidRequestException(String message) {
        this(message, null);
    }

    /**
     * @param message what is wrong, naming the field and the value
     * @param cause the underlying error, or null
     */
    public InvalidRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
