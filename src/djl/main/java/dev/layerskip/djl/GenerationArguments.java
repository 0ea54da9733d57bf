package dev.layerskip.djl;

import dev.layerskip.generate.DecodingSettings;
import dev.layerskip.generate.DecodingStrategy;
import dev.layerskip.generate.GenerationRequest;

import java.util.Map;

/**
 * A translator's generation defaults, read from {@code Criteria} arguments or serving.properties.
 * A request can override each of them (see {@link LmiRequest}). Keys: {@code strategy}
 * (autoregressive, early-exit, self-speculative), {@code exit_layer}, {@code num_speculations},
 * {@code draft_confidence} (a number in (0, 1) or {@code auto}), {@code draft_vocab} (N: drafts score the N most
 * frequent tokens of the checkpoint's token_counts.json; not per request), {@code max_new_tokens},
 * {@code do_sample}, {@code temperature}, {@code top_k}, {@code top_p}, {@code seed},
 * {@code repetition_penalty}, {@code no_repeat_ngram_size}, and the server-side
 * {@code max_new_tokens_cap} (a request asking for more new tokens gets a 400).
 *
 * @param decoding the strategy with its exit layer and draft settings (unset values come from the
 *     checkpoint's layerskip.json)
 * @param maxNewTokens the default max_new_tokens
 * @param doSample whether to sample by default (else greedy)
 * @param temperature the sampling temperature when sampling, &gt; 0
 * @param topK the top-k filter, 0 = off
 * @param topP the nucleus filter in (0, 1]
 * @param seed the sampling seed, or null for a fresh seed per request
 * @param maxNewTokensCap the most new tokens a request may ask for, &gt;= maxNewTokens
 * @param repetitionPenalty the default repetition_penalty, or null for the checkpoint's generation_config.json
 * @param noRepeatNgramSize the default no_repeat_ngram_size, or null for the checkpoint's generation_config.json
 */
public record GenerationArguments(DecodingSettings decoding, int maxNewTokens, boolean doSample,
        double temperature, int topK, double topP, Long seed, int maxNewTokensCap, Double repetitionPenalty,
        Integer noRepeatNgramSize) {

    /** The default {@code max_new_tokens_cap}. */
    public static final int DEFAULT_MAX_NEW_TOKENS_CAP = 4096;

    /**
     * The defaults without any argument: self-speculative with the checkpoint's E and d, greedy, 128 tokens,
     * the checkpoint's repetition control.
     */
    public static final GenerationArguments DEFAULT = new GenerationArguments(
            DecodingSettings.of(DecodingStrategy.SELF_SPECULATIVE), 128, false, 1.0, 0, 1.0, null,
            DEFAULT_MAX_NEW_TOKENS_CAP, null, null);

    /** Validates the fields: the per-request ones as a {@link GenerationRequest} checks them, then the cap. */
    public GenerationArguments {
        if (decoding == null) {
            throw new IllegalArgumentException("decoding must not be null");
        }
        request(maxNewTokens, doSample, temperature, topK, topP, seed, repetitionPenalty, noRepeatNgramSize);
        if (maxNewTokensCap < maxNewTokens) {
            throw new IllegalArgumentException("max_new_tokens_cap (" + maxNewTokensCap
                    + ") must be >= the default max_new_tokens (" + maxNewTokens + ")");
        }
    }

    private static GenerationRequest request(int maxNewTokens, boolean doSample, double temperature, int topK,
            double topP, Long seed, Double repetitionPenalty, Integer noRepeatNgramSize) {
        return GenerationRequest.builder().optMaxNewTokens(maxNewTokens).optDoSample(doSample).optTemperature(temperature)
                .optTopK(topK).optTopP(topP).optSeed(seed).optRepetitionPenalty(repetitionPenalty)
                .optNoRepeatNgramSize(noRepeatNgramSize).build();
    }

    /**
     * @return these defaults as a request, for {@link GenerationRequest#orElse}: every sampling field set, repetition
     *     control where serving.properties sets it (else the checkpoint's applies)
     */
    public GenerationRequest request() {
        return request(maxNewTokens, doSample, temperature, topK, topP, seed, repetitionPenalty, noRepeatNgramSize);
    }

    /**
     * Defaults that take the checkpoint's repetition control.
     *
     * @param decoding the strategy settings
     * @param maxNewTokens the default max_new_tokens
     * @param doSample whether to sample by default
     * @param temperature the sampling temperature
     * @param topK the top-k filter
     * @param topP the nucleus filter
     * @param seed the seed, or null
     */
    public GenerationArguments(DecodingSettings decoding, int maxNewTokens, boolean doSample,
            double temperature, int topK, double topP, Long seed) {
        this(decoding, maxNewTokens, doSample, temperature, topK, topP, seed,
                Math.max(DEFAULT_MAX_NEW_TOKENS_CAP, maxNewTokens), null, null);
    }

    /**
     * Reads the defaults from DJL arguments; absent keys keep {@link #DEFAULT}'s values.
     *
     * @param arguments Criteria arguments or serving.properties entries
     * @return the defaults
     * @throws IllegalArgumentException naming the key of a malformed or out-of-range value
     */
    public static GenerationArguments from(Map<String, ?> arguments) {
        ArgumentValues a = new ArgumentValues(arguments, "argument");
        DecodingStrategy strategy = DEFAULT.decoding.strategy();
        if (a.has("strategy")) {
            try {
                strategy = DecodingStrategy.fromName(a.string("strategy", ""));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("argument 'strategy': " + e.getMessage(), e);
            }
        }
        DecodingSettings decoding = DecodingSettings.parse(strategy, a.integer("exit_layer"),
                a.integer("num_speculations"), a.string("draft_confidence", null), "argument 'draft_confidence'");
        Integer draftVocab = a.integer("draft_vocab");
        if (draftVocab != null && draftVocab < 1) {
            throw new IllegalArgumentException("argument 'draft_vocab' must be >= 1 (a number of tokens), got " + draftVocab);
        }
        decoding = decoding.withDraftVocab(draftVocab).withPipeline(a.bool("speculative_pipeline"));
        Integer max = a.integer("max_new_tokens");
        Boolean sample = a.bool("do_sample");
        Double temperature = a.number("temperature");
        Integer topK = a.integer("top_k");
        Double topP = a.number("top_p");
        Long seed = a.longValue("seed");
        Integer cap = a.integer("max_new_tokens_cap");
        return new GenerationArguments(decoding,
                max != null ? max : DEFAULT.maxNewTokens,
                sample != null ? sample : DEFAULT.doSample,
                temperature != null ? temperature : DEFAULT.temperature,
                topK != null ? topK : DEFAULT.topK,
                topP != null ? topP : DEFAULT.topP,
                seed,
                cap != null ? cap : Math.max(DEFAULT_MAX_NEW_TOKENS_CAP, max != null ? max : 0),
                a.number("repetition_penalty"), a.integer("no_repeat_ngram_size"));
    }
}
