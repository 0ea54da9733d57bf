package dev.layerskip.bench;

/**
 * Timing of one strategy in a benchmark, over every repeat.
 *
 * @param label what ran, e.g. {@code full (E=16)} or {@code early-exit E=4}
 * @param exitLayer the exit layer
 * @param tokens tokens generated per repeat
 * @param medianDecodeTokensPerSecond median over repeats of tokens/s between the first and last token
 * @param firstQuarterMsPerToken mean ms/token over the first quarter of the generated tokens
 * @param lastQuarterMsPerToken mean ms/token over the last quarter
 * @param tokenIds the tokens of the last repeat (to compare strategies)
 */
public record DecodeTiming(
        String label,
        int exitLayer,
        int tokens,
        double medianDecodeTokensPerSecond,
        double firstQuarterMsPerToken,
        double lastQuarterMsPerToken,
        int[] tokenIds) {

    /** Copies the ids. */
    public DecodeTiming {
        tokenIds = tokenIds.clone();
    }

    /** @return median ms per generated token after prefill */
    public double msPerToken() {
        return 1000.0 / medianDecodeTokensPerSecond;
    }
}
