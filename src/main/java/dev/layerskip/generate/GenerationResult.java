package dev.layerskip.generate;

/**
 * The outcome of one generation.
 *
 * @param promptIds the prompt token ids
 * @param tokenIds the generated ids only (an EOS that ended generation included)
 * @param text the generated text (empty without a tokenizer)
 * @param finishReason why generation stopped
 * @param stats counters and timings
 */
public record GenerationResult(
        int[] promptIds, int[] tokenIds, String text, FinishReason finishReason, GenerationStats stats) {

    /** Copies the arrays. */
    public GenerationResult {
        promptIds = promptIds.clone();
        tokenIds = tokenIds.clone();
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
