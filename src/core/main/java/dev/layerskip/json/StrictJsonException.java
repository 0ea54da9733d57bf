package dev.layerskip.json;

/** Text that is not strict JSON; the message says what is wrong and where, in the project's words. */
public final class StrictJsonException extends Exception {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong and where
     */
    public StrictJsonException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong and where
     * @param cause the parser's own exception
     */
    public StrictJsonException(String message, Throwable cause) {
        super(message, cause);
    }
}
