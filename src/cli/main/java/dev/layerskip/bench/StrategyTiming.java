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
 * @param tokensPerRound generated tokens per self-speculative round (0 without rounds)
 * @param draftsPerRound drafted tokens per round (0 without rounds)
 * @param draftMsPerStep mean ms per drafted token, as the generator timed it (0 without drafting)
 * @param verifyMsPerRound mean ms per verification, as the generator timed it (0 without rounds)
 */
public record StrategyTiming(
        String label,
        int exitLayer,
        double tokensPerSecond,
        double speedup,
        double acceptanceRate,
        double firstQuarterMsPerToken,
        double lastQuarterMsPerToken,
        boolean matchesReference,
        double tokensPerRound,
        double draftsPerRound,
        double draftMsPerStep,
        double verifyMsPerRound) {

    /** @return median ms per token */
    public double msPerToken() {
        return 1000.0 / tokensPerSecond;
    }
}
