package dev.layerskip.generate;

import dev.layerskip.checkpoint.LlamaConfig;

/** Validation of prompts shared by every generator. */
public final class Prompts {

    private Prompts() {}

    /**
     * Rejects an empty prompt, a prompt that fills the context, and ids outside the vocabulary.
     *
     * @param promptIds the prompt
     * @param config the model configuration
     */
    public static void check(int[] promptIds, LlamaConfig config) {
        if (promptIds == null || promptIds.length == 0) {
            throw new IllegalArgumentException("the prompt is empty");
        }
        if (promptIds.length >= config.maxPositions()) {
            throw new IllegalArgumentException(
                    "the prompt has " + promptIds.length + " tokens but the context holds "
                            + config.maxPositions() + " (max_position_embeddings), leaving no room to generate");
        }
        for (int id : promptIds) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException(
                        "prompt token id " + id + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
    }
}
