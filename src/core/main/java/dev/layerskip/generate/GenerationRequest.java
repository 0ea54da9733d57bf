package dev.layerskip.generate;

import dev.layerskip.checkpoint.GenerationDefaults;

import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * What a caller asks of one generation, whatever the front end: LMI's {@code parameters}, an OpenAI request, the
 * CLI's flags and a LangChain4j {@code ChatRequest} all map into this record, and every range is checked here, once
 * ({@link RequestFieldException} names the field by its canonical key). A null field, an empty stop list and
 * {@link LogprobOptions#NONE} mean "the defaults' value" ({@link #orElse}); {@link #config} and {@link #decoding}
 * turn a request into what the generators take.
 *
 * <pre>{@code
 * GenerationRequest request = GenerationRequest.builder()
 *         .optMaxNewTokens(64).optStrategy(DecodingStrategy.SELF_SPECULATIVE).optNumSpeculations(4)
 *         .build();
 * GenerationConfig config = request.config(loaded.defaults(), System::nanoTime);
 * }</pre>
 *
 * @param maxNewTokens max_new_tokens, &ge; 1
 * @param doSample do_sample: sample instead of greedy decoding
 * @param temperature temperature, &gt; 0 and finite (only used when sampling)
 * @param topK top_k, &ge; 0 (0 = off)
 * @param topP top_p in (0, 1]
 * @param seed the sampling seed
 * @param stopSequences generation stops once the text contains one (none empty; never null)
 * @param strategy autoregressive, early exit or self-speculative
 * @param exitLayer exit_layer E, &ge; 1 (the model bounds it from above)
 * @param numSpeculations num_speculations: drafts per self-speculative round, &ge; 1
 * @param draftConfidence draft_confidence: stop a draft below this top probability, in (0, 1)
 * @param adaptiveDrafts draft_confidence "auto": the draft length adapts to the acceptance
 * @param repetitionPenalty repetition_penalty, &gt; 0 and finite (1 = off)
 * @param noRepeatNgramSize no_repeat_ngram_size, &ge; 0 (0 = off)
 * @param presencePenalty presence_penalty in [-2, 2] (0 = off)
 * @param frequencyPenalty frequency_penalty in [-2, 2] (0 = off)
 * @param ignoreEos generation does not stop at the checkpoint's end-of-sequence ids
 * @param truncate keep only the last N prompt tokens, &ge; 1
 * @param logprobs which log-probabilities to report (never null)
 */
public record GenerationRequest(Integer maxNewTokens, Boolean doSample, Double temperature, Integer topK, Double topP,
        Long seed, List<String> stopSequences, DecodingStrategy strategy, Integer exitLayer, Integer numSpeculations,
        Double draftConfidence, boolean adaptiveDrafts, Double repetitionPenalty, Integer noRepeatNgramSize,
        Double presencePenalty, Double frequencyPenalty, boolean ignoreEos, Integer truncate, LogprobOptions logprobs) {

    /** max_new_tokens when neither the request nor its defaults set it. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 128;

    /** A request that sets nothing. */
    public static final GenerationRequest NONE = builder().build();

    /** Checks every range; copies the stop list. */
    public GenerationRequest {
        stopSequences = stopSequences == null ? List.of() : List.copyOf(stopSequences);
        logprobs = logprobs == null ? LogprobOptions.NONE : logprobs;
        RequestFieldException.check(maxNewTokens == null || maxNewTokens >= 1, "max_new_tokens", "must be >= 1, got " + maxNewTokens);
        RequestFieldException.check(temperature == null || temperature > 0 && !temperature.isInfinite(), "temperature",
                "must be > 0, got " + temperature);
        RequestFieldException.check(topK == null || topK >= 0, "top_k", "must be >= 0 (0 = off), got " + topK);
        RequestFieldException.check(topP == null || topP > 0 && topP <= 1, "top_p", "must be in (0, 1], got " + topP);
        for (int i = 0; i < stopSequences.size(); i++) {
            RequestFieldException.check(!stopSequences.get(i).isEmpty(), "stop_sequences[" + i + "]", "must not be empty");
        }
        RequestFieldException.check(exitLayer == null || exitLayer >= 1, "exit_layer", "must be >= 1, got " + exitLayer);
        RequestFieldException.check(numSpeculations == null || numSpeculations >= 1, "num_speculations",
                "must be >= 1, got " + numSpeculations);
        RequestFieldException.check(draftConfidence == null || draftConfidence > 0 && draftConfidence < 1,
                "draft_confidence", "must be in (0, 1) or \"auto\", got " + draftConfidence);
        RequestFieldException.check(draftConfidence == null || !adaptiveDrafts, "draft_confidence",
                "is either a number or \"auto\", not both");
        RequestFieldException.check(repetitionPenalty == null || repetitionPenalty > 0 && !repetitionPenalty.isInfinite(),
                "repetition_penalty", "must be > 0 (1 = off), got " + repetitionPenalty);
        RequestFieldException.check(noRepeatNgramSize == null || noRepeatNgramSize >= 0, "no_repeat_ngram_size",
                "must be >= 0 (0 = off), got " + noRepeatNgramSize);
        RequestFieldException.check(presencePenalty == null || presencePenalty >= -2 && presencePenalty <= 2,
                "presence_penalty", "must be in [-2, 2], got " + presencePenalty);
        RequestFieldException.check(frequencyPenalty == null || frequencyPenalty >= -2 && frequencyPenalty <= 2,
                "frequency_penalty", "must be in [-2, 2], got " + frequencyPenalty);
        RequestFieldException.check(truncate == null || truncate >= 1, "truncate",
                "must be >= 1 (prompt tokens kept), got " + truncate);
    }

    /** @return a builder of a request that sets nothing yet */
    public static GenerationRequestBuilder builder() {
        return new GenerationRequestBuilder();
    }

    /** @return a builder that starts from this request's values */
    public GenerationRequestBuilder toBuilder() {
        return new GenerationRequestBuilder(this);
    }

    /**
     * This request over defaults: each field this request leaves unset takes the defaults' value.
     *
     * @param defaults e.g. a server's serving.properties values as a request
     * @return the merged request
     */
    public GenerationRequest orElse(GenerationRequest defaults) {
        boolean ownDrafts = draftConfidence != null || adaptiveDrafts;
        return new GenerationRequest(pick(maxNewTokens, defaults.maxNewTokens), pick(doSample, defaults.doSample),
                pick(temperature, defaults.temperature), pick(topK, defaults.topK), pick(topP, defaults.topP),
                pick(seed, defaults.seed), stopSequences.isEmpty() ? defaults.stopSequences : stopSequences,
                pick(strategy, defaults.strategy), pick(exitLayer, defaults.exitLayer),
                pick(numSpeculations, defaults.numSpeculations),
                ownDrafts ? draftConfidence : defaults.draftConfidence, ownDrafts ? adaptiveDrafts : defaults.adaptiveDrafts,
                pick(repetitionPenalty, defaults.repetitionPenalty), pick(noRepeatNgramSize, defaults.noRepeatNgramSize),
                pick(presencePenalty, defaults.presencePenalty), pick(frequencyPenalty, defaults.frequencyPenalty),
                ignoreEos || defaults.ignoreEos, pick(truncate, defaults.truncate),
                logprobs.equals(LogprobOptions.NONE) ? defaults.logprobs : logprobs);
    }

    private static <T> T pick(T own, T fallback) {
        return own != null ? own : fallback;
    }

    /**
     * The decoding this request asks for, over a model's default decoding: empty when it sets none of strategy,
     * exit_layer, num_speculations and draft_confidence (then the default generator applies). A request that keeps
     * the default strategy keeps the defaults' E, d, draft confidence, draft vocabulary and schedule where it does
     * not set them; one that changes the strategy, or the draft confidence, starts from the strategy's own defaults
     * and runs in rounds.
     *
     * @param base the model's default decoding
     * @return the request's decoding settings, if it has its own
     * @throws IllegalArgumentException if the combination is invalid (e.g. num_speculations without self-speculation)
     */
    public Optional<DecodingSettings> decoding(DecodingSettings base) {
        boolean ownDrafts = draftConfidence != null || adaptiveDrafts;
        if (strategy == null && exitLayer == null && numSpeculations == null && !ownDrafts) {
            return Optional.empty();
        }
        DecodingStrategy s = strategy != null ? strategy : base.strategy();
        boolean same = s == base.strategy();
        Integer exit = exitLayer != null ? exitLayer : same ? base.exitLayer() : null;
        Integer d = numSpeculations != null ? numSpeculations : same ? base.numSpeculations() : null;
        DecodingSettings settings = ownDrafts ? new DecodingSettings(s, exit, d, draftConfidence, adaptiveDrafts)
                : new DecodingSettings(s, exit, d, same ? base.draftConfidence() : null, same && base.adaptiveDrafts());
        return Optional.of(settings.withDraftVocab(same ? base.draftVocab() : null)
                .withPipeline(!same || ownDrafts ? Boolean.FALSE : base.pipelined()));
    }

    /**
     * The generation settings: greedy unless do_sample (then temperature 1, top_k 0, top_p 1 and a fresh seed where
     * unset), {@link #DEFAULT_MAX_NEW_TOKENS} where unset, the checkpoint's end-of-sequence ids unless ignore_eos, and
     * its repetition control (generation_config.json) where the request sets none.
     *
     * @param checkpoint the checkpoint's generation_config.json
     * @param freshSeed where a sampling request without a seed gets one
     * @return the settings
     */
    public GenerationConfig config(GenerationDefaults checkpoint, LongSupplier freshSeed) {
        SamplingConfig sampling = Boolean.TRUE.equals(doSample)
                ? new SamplingConfig(temperature != null ? temperature : 1.0, topK != null ? topK : 0,
                        topP != null ? topP : 1.0, seed != null ? seed : freshSeed.getAsLong())
                : SamplingConfig.GREEDY;
        RepetitionControl repetition = RepetitionControl.of(
                repetitionPenalty != null ? repetitionPenalty : checkpoint.repetitionPenalty(),
                noRepeatNgramSize != null ? noRepeatNgramSize : checkpoint.noRepeatNgramSize())
                .withOpenAiPenalties(presencePenalty != null ? presencePenalty : 0,
                        frequencyPenalty != null ? frequencyPenalty : 0);
        return new GenerationConfig(maxNewTokens != null ? maxNewTokens : DEFAULT_MAX_NEW_TOKENS, sampling,
                ignoreEos ? List.of() : checkpoint.eosTokenIds(), stopSequences)
                .withRepetition(repetition).withLogprobs(logprobs);
    }
}
