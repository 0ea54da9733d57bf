package dev.layerskip.generate;

import java.util.List;

/**
 * The outcome of one generation.
 *
 * @param promptIds the prompt token ids
 * @param tokenIds the generated ids only (an EOS that ended generation included)
 * @param text the generated text (empty without a tokenizer)
 * @param finishReason why generation stopped
 * @param stats counters and timings
 * @param logprobs each generated token's log-probability, when asked for ({@link LogprobOptions}), else empty
 * @param promptLogprobs each prompt token's after the first, when asked for, else empty
 */
public record GenerationResult(
        int[] promptIds, int[] tokenIds, String text, FinishReason finishReason, GenerationStats stats,
        List<TokenLogprob> logprobs, List<TokenLogprob> promptLogprobs) {

    /** Copies the arrays. */
    public GenerationResult {
        promptIds = promptIds.clone();
        tokenIds = tokenIds.clone();
        logprobs = List.copyOf(logprobs);
        promptLogprobs = List.copyOf(promptLogprobs);
    }

    /**
     * A result without log-probabilities.
     *
     * @param promptIds the prompt token ids
     * @param tokenIds the generated ids
     * @param text the generated text
     * @param finishReason why generation stopped
     * @param stats counters and timings
     */
    public GenerationResult(int[] promptIds, int[] tokenIds, String text, FinishReason finishReason, GenerationStats stats) {
        this(promptIds, tokenIds, text, finishReason, stats, List.of(), List.of());
    }

    @Override
    public int[] promptIds() {
        return promptIds.clone();
    }

    @Override
    public int[] tokenIds() {
        return tokenIds.clone();
    }
}
