package dev.layerskip.generate;

/**
 * A decoding strategy over a loaded model. Implementations are immutable and thread-safe: all
 * per-call state (the KV cache, the sampler) lives inside {@link #generate}.
 */
public sealed interface Generator permits AutoregressiveGenerator, SelfSpeculativeGenerator {

    /**
     * Generates a continuation of a prompt.
     *
     * @param promptIds the prompt token ids, non-empty and shorter than the context
     * @param config what to generate
     * @param listener receives each token as it is produced
     * @return the generated tokens, text and statistics
     * @throws IllegalArgumentException if the prompt is empty or too long
     */
    GenerationResult generate(int[] promptIds, GenerationConfig config, TokenListener listener);

    /** @return how this generator's rows are decoded: what batch schedulers batch by and run */
    BatchPlan plan();

    /** @return the exit layer E: the last layer run for every token (L for the full model), or
     *     the draft exit of self-speculation */
    int exitLayer();
}
