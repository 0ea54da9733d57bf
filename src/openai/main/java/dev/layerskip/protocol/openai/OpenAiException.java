package dev.layerskip.protocol.openai;

/**
 * A request the OpenAI-compatible endpoints refuse, answered in OpenAI's error shape
 * {@code {"error": {"message", "type", "param", "code"}}}.
 */
public final class OpenAiException extends Exception {

    private static final long serialVersionUID = 1L;

    /** The type of an error the client must fix. */
    public static final String INVALID_REQUEST = "invalid_request_error";

    private final int status;
    private final String type;
    private final String param;
    private final String code;

    /**
     * @param status the HTTP status
     * @param message what is wrong, naming the field and the value
     * @param type OpenAI's error type, e.g. {@link #INVALID_REQUEST}
     * @param param the request field at fault, or null
     * @param code a machine-readable code, or null
     */
    public OpenAiException(int status, String message, String type, String param, String code) {
        super(message);
        if (status < 400 || status > 599) {
            throw new IllegalArgumentException("an error status must be in 400..599, got " + status);
        }
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /**
     * A 400 for a field the client must fix.
     *
     * @param param the field
     * @param message what is wrong with it
     * @return the exception
     */
    public static OpenAiException invalid(String param, String message) {
        return new OpenAiException(400, message, INVALID_REQUEST, param, null);
    }

    /**
     * A 400 for a setting this server does not implement (e.g. {@code n} &gt; 1, tools).
     *
     * @param param the field
     * @param message what is not supported
     * @return the exception
     */
    public static OpenAiException unsupported(String param, String message) {
        return new OpenAiException(400, message, INVALID_REQUEST, param, "unsupported_parameter");
    }

    /** @return the HTTP status */
    public int status() {
        return status;
    }

    /** @return OpenAI's error type */
    public String type() {
        return type;
    }

    /** @return the field at fault, or null */
    public String param() {
        return param;
    }

    /** @return the machine-readable code, or null */
    public String code() {
        return code;
    }
}
