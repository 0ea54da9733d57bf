package dev.layerskip.generate;

import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.tokenizer.TextTokenizer;

import java.util.function.IntConsumer;

/**
 * One sequence being decoded, alone or in a {@link RollingBatch}: everything that belongs to the
 * request (prompt, sampler and its random stream, repetition context, stop conditions, listener,
 * counters) and the decoding state between steps. The batch owns its cache lane.
 */
final class BatchRow {

    final int[] prompt;
    final Sampler sampler;
    final RepetitionProcessor penalties;
    final OutputCollector out;
    final TokenListener listener;
    final DraftLength draftLength; // null unless self-speculative
    final RoundStats stats = new RoundStats();
    final IntConsumer cacheProbe;
    final int limit;
    private final long startNanos = System.nanoTime();
    private long prefillNanos;
    private java.util.List<TokenLogprob> promptLogprobs = java.util.List.of();
    private boolean forkSource; // other rows fork from this one after its prompt
    private float[] prefillLogits; // [vocab], kept for them until the batch steps
    private long endNanos;
    int token; // the last accepted token: fed by the next step, not yet in the cache
    int drafts; // the next round's draft limit
    private boolean finished;
    private RuntimeException failure;

    /**
     * @param prompt the prompt ids (checked against the model)
     * @param config what to generate
     * @param tokenizer decodes streamed text, or null
     * @param listener receives the tokens (on the thread that steps the batch)
     * @param model the model's configuration
     * @param draftLength the draft policy, or null for one token per step
     * @param cacheProbe told the lane's length after every round (tests)
     */
    BatchRow(int[] prompt, GenerationConfig config, TextTokenizer tokenizer, TokenListener listener, LlamaConfig model,
            DraftLength draftLength, IntConsumer cacheProbe) {
        Prompts.check(prompt, model);
        this.prompt = prompt.clone();
        this.limit = Math.min(config.maxNewTokens(), model.maxPositions() - prompt.length + 1); // the last token is never fed back
        this.sampler = new Sampler(config.sampling());
        this.penalties = new RepetitionProcessor(config.repetition(), prompt, config.constraint(), limit);
        this.out = new OutputCollector(config, tokenizer, listener, limit);
        this.listener = listener;
        this.draftLength = draftLength;
        this.drafts = draftLength == null ? 0 : draftLength.max();
        this.cacheProbe = cacheProbe;
    }

    /** @return the most positions this sequence commits to the cache: the prompt and every fed-back token */
    int positionsNeeded() {
        return prompt.length + limit - 1;
    }

    /** @return whether greedy decoding may pick this row's tokens on the device (no penalty to apply on the host) */
    boolean picksOnDevice() {
        return sampler.config().isGreedy() && !penalties.active();
    }

    /** Marks this row as the one that reads a prompt other rows share (choices of one request). */
    void shareItsPrompt() {
        forkSource = true;
    }

    /** @return whether rows fork from this one */
    boolean forkSource() {
        return forkSource;
    }

    /**
     * Keeps the logits of the prompt's last position for the rows that fork from this one.
     *
     * @param logits [vocab], or null to drop them
     */
    void prefillLogits(float[] logits) {
        prefillLogits = logits;
    }

    /** @return the kept logits of the prompt's last position, or null */
    float[] prefillLogits() {
        return prefillLogits;
    }

    /** @return the prompt tokens' log-probabilities, when reported */
    java.util.List<TokenLogprob> promptLogprobs() {
        return promptLogprobs;
    }

    /** @return which log-probabilities this sequence reports */
    LogprobOptions logprobs() {
        return out.config().logprobs();
    }

    /**
     * Keeps the prompt tokens' log-probabilities (positions 1.., each from the position before it).
     *
     * @param values one per prompt token after the first
     */
    void promptLogprobs(java.util.List<TokenLogprob> values) {
        promptLogprobs = java.util.List.copyOf(values);
        listener.onPromptLogprobs(promptLogprobs);
    }

    /**
     * Accepts the token chosen from the prompt's last position.
     *
     * @param first the token
     * @param logprob its log-probability, or null when none is reported
     */
    void acceptFirst(int first, TokenLogprob logprob) {
        prefillNanos = System.nanoTime() - startNanos;
        token = first;
        finished = out.accept(first, logprob);
    }

    /** Called before a step feeds {@link #token}: it joins the repetition context. */
    void beginStep() {
        penalties.push(token);
    }

    /**
     * Accepts one step's tokens: one for autoregressive steps, the agreeing drafts and one full-model
     * token for a self-speculative round; stops at the first that ends the generation.
     *
     * @param accepted the tokens, at least one
     * @param logprobs their log-probabilities, or null when none are reported
     */
    void acceptStep(int[] accepted, TokenLogprob[] logprobs) {
        for (int i = 0; i < accepted.length && !finished; i++) {
            if (i > 0) {
                penalties.push(token); // every accepted token but the last, which the next step feeds
            }
            token = accepted[i];
            finished = out.accept(token, logprobs == null ? null : logprobs[i]);
        }
        if (draftLength != null) {
            drafts = stats.nextDrafts(draftLength, drafts);
        }
    }

    /**
     * Ends this sequence with an error.
     *
     * @param error what went wrong
     */
    void fail(RuntimeException error) {
        if (failure == null) {
            failure = error;
        }
        finished = true;
    }

    /** @return whether the sequence is done (finished, cancelled or failed) */
    boolean finished() {
        return finished;
    }

    /** @return the error that ended the sequence, or null */
    RuntimeException failure() {
        return failure;
    }

    /** Marks the end time; called once when the row leaves its batch. */
    void markEnd() {
        endNanos = System.nanoTime();
    }

    /**
     * The result.
     *
     * @return the generated tokens, text and statistics
     * @throws RuntimeException the sequence's failure, if it failed
     */
    GenerationResult result() {
        if (failure != null) {
            throw failure;
        }
        long end = endNanos == 0 ? System.nanoTime() : endNanos;
        long decodeNanos = end - startNanos - prefillNanos;
        GenerationStats s = draftLength == null
                ? new GenerationStats(prompt.length, out.count(), prefillNanos, decodeNanos, 0, 0, 0, 0, 0)
                : stats.toStats(prompt.length, out.count(), prefillNanos, decodeNanos);
        return new GenerationResult(prompt, out.tokens(), out.text(), out.finishReason(), s, out.logprobs(), promptLogprobs);
    }
}
