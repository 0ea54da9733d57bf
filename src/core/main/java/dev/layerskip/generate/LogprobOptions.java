package dev.layerskip.generate;

/**
 * Which log-probabilities a generation reports ({@link TokenLogprob}): none, each generated token's with
 * its {@code top} most likely alternatives, and optionally every prompt token's (after the first).
 *
 * <p>The values are the log-softmax of the logits that chose the token: the full model's (the
 * verifier's, in self-speculative decoding, so they are those of autoregressive decoding) or, for early
 * exit, the exit layer's; before temperature, top-k/top-p and repetition control.
 *
 * @param top how many alternatives per token, 0..{@value #MAX_TOP}, or -1 for no log-probabilities
 * @param prompt whether the prompt's tokens get theirs too (needs {@code top >= 0})
 */
public record LogprobOptions(int top, boolean prompt) {

    /** The most alternatives per token (OpenAI's chat limit). */
    public static final int MAX_TOP = 20;

    /** No log-probabilities. */
    public static final LogprobOptions NONE = new LogprobOptions(-1, false);

    /** Validates the values. */
    public LogprobOptions {
        if (top < -1 || top > MAX_TOP) {
            throw new IllegalArgumentException("log-probability alternatives must be in 0.." + MAX_TOP + " (or -1 for none), got "
                    + top);
        }
        if (prompt && top < 0) {
            throw new IllegalArgumentException("prompt log-probabilities need token log-probabilities (top >= 0)");
        }
    }

    /**
     * @param top alternatives per token, 0..{@value #MAX_TOP}
     * @return generated tokens' log-probabilities with that many alternatives
     */
    public static LogprobOptions tokens(int top) {
        return new LogprobOptions(top, false);
    }

    /** @return whether any log-probability is reported */
    public boolean enabled() {
        return top >= 0;
    }
}
