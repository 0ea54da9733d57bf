package dev.layerskip.generate;

/**
 * Receives tokens as they are produced (streaming). Generators never print; they call this.
 * Self-speculative generation reports only accepted tokens through {@link #onToken}, and the
 * drafts of each round through {@link #onDraft}.
 */
@FunctionalInterface
public interface TokenListener {

    /** A listener that ignores everything. */
    TokenListener NONE = (id, text) -> {};

    /**
     * Called once per generated token, in order.
     *
     * @param tokenId the token id
     * @param textDelta the new text this token completes (may be empty, e.g. inside a multi-byte
     *     character, or when there is no tokenizer)
     */
    void onToken(int tokenId, String textDelta);

    /**
     * Called just before {@link #onToken} for the same token when the generation reports
     * log-probabilities ({@link GenerationConfig#logprobs()}).
     *
     * @param logprob the token's log-probability and its alternatives
     */
    default void onLogprob(TokenLogprob logprob) {}

    /**
     * Called once after the prompt was read, when the generation reports prompt log-probabilities
     * ({@link LogprobOptions#prompt()}), before any token.
     *
     * @param logprobs each prompt token's after the first
     */
    default void onPromptLogprobs(java.util.List<TokenLogprob> logprobs) {}

    /**
     * Called once per self-speculative round with the drafted tokens and how many were accepted.
     *
     * @param draftIds the drafted ids
     * @param accepted how many of them the full model accepted
     */
    default void onDraft(int[] draftIds, int accepted) {}

    /**
     * Polled after every token: returning true stops generation with {@link FinishReason#CANCELLED}
     * (a streaming client went away), which frees the generation's KV cache at once.
     *
     * @return whether the consumer no longer wants tokens
     */
    default boolean cancelled() {
        return false;
    }
}
