package dev.layerskip.eval.task;

import dev.layerskip.generate.DecodingStrategy;

import java.util.List;

/**
 * What one strategy achieved on a task.
 *
 * @param label how reports name it, e.g. {@code self-speculative E=2 d=4}
 * @param strategy the decoding strategy
 * @param exitLayer its exit layer (L for autoregressive, the draft exit for self-speculation)
 * @param numSpeculations its draft length (0 unless self-speculative)
 * @param scores the mean of each of the metric's columns over the examples, in the metric's order
 * @param newTokens tokens generated over all examples
 * @param seconds time spent generating them (prompt processing included), measured per example
 * @param speedup tokens/s relative to autoregressive's, measured interleaved in the same run
 * @param acceptanceRate accepted / drafted tokens (0 without drafting)
 * @param differingOutputs examples whose generated token ids differ from autoregressive's
 * @param predictions the scored prediction of every example, in order
 */
public record StrategyResult(
        String label,
        DecodingStrategy strategy,
        int exitLayer,
        int numSpeculations,
        List<Double> scores,
        long newTokens,
        double seconds,
        double speedup,
        double acceptanceRate,
        int differingOutputs,
        List<String> predictions) {

    /** Validates and copies the fields. */
    public StrategyResult {
        if (label == null || strategy == null || scores == null || predictions == null) {
            throw new IllegalArgumentException("strategy result fields must not be null");
        }
        if (newTokens < 0 || !(seconds >= 0) || !Double.isFinite(seconds) || differingOutputs < 0 || differingOutputs > predictions.size()) {
            throw new IllegalArgumentException("inconsistent strategy result counters for " + label);
        }
        scores = List.copyOf(scores);
        predictions = List.copyOf(predictions);
    }

    /** @return generated tokens per second over all examples */
    public double tokensPerSecond() {
        return seconds == 0 ? 0 : newTokens / seconds;
    }

    /** @return whether every output equals autoregressive's token for token */
    public boolean identicalToAutoregressive() {
        return differingOutputs == 0;
    }
}
