package dev.layerskip.generate;

/**
 * Counters and timings of one generation.
 *
 * @param promptTokens the prompt length
 * @param newTokens the number of generated tokens
 * @param prefillNanos time spent on the prompt
 * @param decodeNanos time spent generating after the prompt
 * @param rounds self-speculative rounds (0 for autoregressive)
 * @param drafted drafted tokens (0 for autoregressive)
 * @param accepted drafted tokens the full model accepted
 * @param draftNanos time spent drafting
 * @param verifyNanos time spent verifying
 */
public record GenerationStats(
        int promptTokens,
        int newTokens,
        long prefillNanos,
        long decodeNanos,
        int rounds,
        int drafted,
        int accepted,
        long draftNanos,
        long verifyNanos) {

    /** Validates the counters. */
    public GenerationStats {
        if (promptTokens < 0 || newTokens < 0 || rounds < 0 || drafted < 0 || accepted < 0 || accepted > drafted) {
            throw new IllegalArgumentException("inconsistent generation counters");
        }
    }

    /** @return total wall time in milliseconds (prefill + decode) */
    public double elapsedMillis() {
        return (prefillNanos + decodeNanos) / 1e6;
    }

    /** @return generated tokens per second over the whole call (prefill included) */
    public double tokensPerSecond() {
        long total = prefillNanos + decodeNanos;
        return total == 0 ? 0 : newTokens * 1e9 / total;
    }

    /** @return generated tokens per second after the prompt, excluding prefill */
    public double decodeTokensPerSecond() {
        return decodeNanos == 0 ? 0 : newTokens * 1e9 / decodeNanos;
    }

    /** @return accepted / drafted, or 0 when nothing was drafted */
    public double acceptanceRate() {
        return drafted == 0 ? 0 : (double) accepted / drafted;
    }
}
