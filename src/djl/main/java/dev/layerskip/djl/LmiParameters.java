package dev.layerskip.djl;

import java.util.List;

/**
 * The {@code parameters} object of an LMI text-generation request, with this project's additions
 * ({@code strategy}, {@code exit_layer}, {@code num_speculations}, {@code draft_confidence}). A null
 * field means "use the model's default" ({@link GenerationArguments}).
 *
 * @param maxNewTokens max_new_tokens, ≥ 1
 * @param doSample do_sample: sample instead of greedy decoding
 * @param temperature temperature, &gt; 0 (only used when sampling)
 * @param topK top_k, ≥ 0 (0 = off)
 * @param topP top_p in (0, 1]
 * @param seed the sampling seed
 * @param stopSequences stop_sequences: generation stops once the text contains one (never null)
 * @param details whether the response carries {@code details}
 * @param returnFullText return_full_text: prefix the prompt to generated_text
 * @param strategy autoregressive, early-exit or self-speculative
 * @param exitLayer exit_layer: E for early exit or self-speculation
 * @param numSpeculations num_speculations: drafts per self-speculative round, ≥ 1
 * @param draftConfidence draft_confidence: a number in (0, 1) or "auto"
 * @param repetitionPenalty repetition_penalty: &gt; 0, 1 = off
 * @param noRepeatNgramSize no_repeat_ngram_size: &ge; 0, 0 = off
 * @param presencePenalty OpenAI's presence_penalty in [-2, 2] (0 = off; set by the OpenAI routes)
 * @param frequencyPenalty OpenAI's frequency_penalty in [-2, 2] (0 = off; set by the OpenAI routes)
 * @param ignoreEos ignore_eos (TGI / LMI): generation does not stop at the checkpoint's end-of-sequence ids
 * @param truncate truncate (TGI / LMI): keep only the last N prompt tokens, ≥ 1, or null for the whole prompt
 * @param topNTokens top_n_tokens (TGI / LMI): the most likely tokens at each generated position, with their
 *     log-probabilities, in details.top_tokens; 0..20, 0 = none
 * @param decoderInputDetails decoder_input_details (TGI / LMI): the prompt's tokens with their log-probabilities
 *     in details.prefill (not with streaming)
 */
public record LmiParameters(Integer maxNewTokens, Boolean doSample, Double temperature, Integer topK,
        Double topP, Long seed, List<String> stopSequences, boolean details, boolean returnFullText,
        String strategy, Integer exitLayer, Integer numSpeculations, String draftConfidence,
        Double repetitionPenalty, Integer noRepeatNgramSize, Double presencePenalty, Double frequencyPenalty,
        boolean ignoreEos, Integer truncate, int topNTokens, boolean decoderInputDetails) {

    /** No parameter set: every value from the model's defaults. */
    public static final LmiParameters NONE = new LmiParameters(
            null, null, null, null, null, null, List.of(), false, false, null, null, null, null, null, null, null, null, false, null, 0, false);

    /**
     * Parameters without OpenAI's presence and frequency penalties.
     *
     * @param maxNewTokens max_new_tokens
     * @param doSample do_sample
     * @param temperature temperature
     * @param topK top_k
     * @param topP top_p
     * @param seed seed
     * @param stopSequences stop_sequences
     * @param details details
     * @param returnFullText return_full_text
     * @param strategy strategy
     * @param exitLayer exit_layer
     * @param numSpeculations num_speculations
     * @param draftConfidence draft_confidence
     * @param repetitionPenalty repetition_penalty
     * @param noRepeatNgramSize no_repeat_ngram_size
     */
    public LmiParameters(Integer maxNewTokens, Boolean doSample, Double temperature, Integer topK,
            Double topP, Long seed, List<String> stopSequences, boolean details, boolean returnFullText,
            String strategy, Integer exitLayer, Integer numSpeculations, String draftConfidence,
            Double repetitionPenalty, Integer noRepeatNgramSize) {
        this(maxNewTokens, doSample, temperature, topK, topP, seed, stopSequences, details, returnFullText,
                strategy, exitLayer, numSpeculations, draftConfidence, repetitionPenalty, noRepeatNgramSize, null, null, false, null, 0,
                false);
    }

    /**
     * Parameters without repetition control (the model's defaults apply).
     *
     * @param maxNewTokens max_new_tokens
     * @param doSample do_sample
     * @param temperature temperature
     * @param topK top_k
     * @param topP top_p
     * @param seed seed
     * @param stopSequences stop_sequences
     * @param details details
     * @param returnFullText return_full_text
     * @param strategy strategy
     * @param exitLayer exit_layer
     * @param numSpeculations num_speculations
     * @param draftConfidence draft_confidence
     */
    public LmiParameters(Integer maxNewTokens, Boolean doSample, Double temperature, Integer topK,
            Double topP, Long seed, List<String> stopSequences, boolean details, boolean returnFullText,
            String strategy, Integer exitLayer, Integer numSpeculations, String draftConfidence) {
        this(maxNewTokens, doSample, temperature, topK, topP, seed, stopSequences, details, returnFullText,
                strategy, exitLayer, numSpeculations, draftConfidence, null, null, null, null, false, null, 0, false);
    }

    /**
     * @return which log-probabilities the response carries: every token's when details, top_n_tokens or
     *     decoder_input_details ask for them (LMI's tokens carry log_prob)
     */
    public dev.layerskip.generate.LogprobOptions logprobs() {
        return details || topNTokens > 0 || decoderInputDetails
                ? new dev.layerskip.generate.LogprobOptions(topNTokens, decoderInputDetails)
                : dev.layerskip.generate.LogprobOptions.NONE;
    }

    /** @return whether the response carries details: asked for, or implied by top_n_tokens or decoder_input_details */
    public boolean wantsDetails() {
        return details || topNTokens > 0 || decoderInputDetails;
    }

    /** Copies the stop list. */
    public LmiParameters {
        stopSequences = stopSequences == null ? List.of() : List.copyOf(stopSequences);
        if (truncate != null && truncate < 1) {
            throw new IllegalArgumentException("truncate must be >= 1 (prompt tokens kept), got " + truncate);
        }
        if (topNTokens < 0 || topNTokens > 20) {
            throw new IllegalArgumentException("top_n_tokens must be in 0..20, got " + topNTokens);
        }
    }
}
