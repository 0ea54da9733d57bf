package dev.layerskip.generate;

/**
 * The model produced NaN or infinite logits: its weights or configuration are damaged (the loader
 * refuses non-finite weights, so this means values that overflow when combined). Generation stops;
 * over HTTP the request ends with {@code finish_reason} "error" and this message.
 */
public final class NonFiniteLogitsException extends ArithmeticException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message where the non-finite logits appeared
     */
    public NonFiniteLogitsException(String message) {
        super(message);
    }
}
