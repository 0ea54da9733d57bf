package dev.layerskip.bench;

/**
 * What one strategy achieved in a benchmark run.
 *
 * @param label the strategy's name
 * @param exitLayer its exit (or draft exit) layer
 * @param tokensPerSecond median over repeats of decode tokens/s (first to last token, all prompts)
 * @param speedup tokensPerSecond relative to the first strategy of the same run
 * @param acceptanceRate accepted / drafted over all runs (0 without drafting)
 * @param firstQuarterMsPerToken mean ms/token over the first quarter of each generation
 * @param lastQuarterMsPerToken mean ms/token over the last quarter of each generation
 * @param matchesReference whether every output equals the first strategy's (greedy lossless check)
 */
public record StrategyTiming(
        String label,
        int exitLayer,
        double tokensPerSecond,
        double speedup,
        double acceptanceRate,
        double firstQuarterMsPerToken,
        double lastQuarterMsPerToken,
        boolean matchesReference) {

    /** @return median ms per token */
    public double msPerToken() {
        return 1000.0 / tokensPerSecond;
    }
}
