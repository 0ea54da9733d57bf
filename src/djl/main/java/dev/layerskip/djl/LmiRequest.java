package dev.layerskip.djl;

/**
 * An LMI text-generation request: {@code {"inputs": str, "parameters": {...}, "stream": bool}}.
 *
 * @param inputs the prompt
 * @param parameters the generation parameters
 * @param stream whether to answer with {@code application/jsonlines}, one line per token
 */
public record LmiRequest(String inputs, LmiParameters parameters, boolean stream) {

    /** Validates the fields. */
    public LmiRequest {
        if (inputs == null) {
            throw new IllegalArgumentException("inputs must not be null");
        }
        if (parameters == null) {
            parameters = LmiParameters.NONE;
        }
    }

    /**
     * A request for a plain prompt with the model's defaults.
     *
     * @param prompt the prompt
     * @return the request
     */
    public static LmiRequest of(String prompt) {
        return new LmiRequest(prompt, LmiParameters.NONE, false);
    }
}
