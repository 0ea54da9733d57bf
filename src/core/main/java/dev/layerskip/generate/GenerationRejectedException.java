package dev.layerskip.generate;

/**
 * A request the batch scheduler cannot take now (its queue is full) or ever (its KV cache alone
 * exceeds the budget). Servers answer it with 503.
 */
public final class GenerationRejectedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what limit was hit, with its value
     */
    public GenerationRejectedException(String message) {
        super(message);
    }
}
