package dev.layerskip.generate;

import dev.layerskip.checkpoint.LlamaConfig;

/** Validation of prompts shared by every generator. */
public final class Prompts {

    /**
     * The most UTF-8 bytes one token is assumed to cover: a prompt longer than this many bytes per
     * position of the context cannot fit and is refused before it is tokenized.
     */
    public static final int MAX_BYTES_PER_TOKEN = 64;

    private Prompts() {}

    /**
     * Refuses a prompt text whose UTF-8 length alone shows it cannot fit the context (more than
     * {@link #MAX_BYTES_PER_TOKEN} bytes per position), without tokenizing it.
     *
     * @param text the prompt text
     * @param config the model configuration
     */
    public static void checkLength(String text, LlamaConfig config) {
        long limit = (long) config.maxPositions() * MAX_BYTES_PER_TOKEN;
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3; // a surrogate pair is 4 bytes
        }
        if (bytes > limit) {
            throw new IllegalArgumentException("the prompt is " + bytes + " bytes, more than the context of "
                    + config.maxPositions() + " tokens can hold (at most " + MAX_BYTES_PER_TOKEN + " bytes per token)");
        }
    }

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
