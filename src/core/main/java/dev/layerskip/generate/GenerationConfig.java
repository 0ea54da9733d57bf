package dev.layerskip.generate;

import java.util.List;

/**
 * What to generate, independent of the decoding strategy.
 *
 * @param maxNewTokens the most tokens to generate, ≥ 1
 * @param sampling greedy or sampling settings
 * @param eosTokenIds generation stops after any of these ids (the id is kept in the output ids)
 * @param stopStrings generation stops once the text contains any of these (needs a tokenizer)
 * @param repetition repetition control applied to every position's logits ({@link RepetitionControl#NONE} = off)
 * @param logprobs which log-probabilities to report ({@link LogprobOptions#NONE} = none)
 * @param constraint which tokens may come next (constrained decoding, e.g. JSON), or null for none
 */
public record GenerationConfig(int maxNewTokens, SamplingConfig sampling, List<Integer> eosTokenIds,
        List<String> stopStrings, RepetitionControl repetition, LogprobOptions logprobs, TokenConstraint constraint) {

    /** Validates the fields. */
    public GenerationConfig {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
        }
        if (sampling == null) {
            throw new IllegalArgumentException("sampling must not be null");
        }
        if (repetition == null) {
            throw new IllegalArgumentException("repetition control must not be null (RepetitionControl.NONE = off)");
        }
        if (logprobs == null) {
            throw new IllegalArgumentException("logprobs must not be null (LogprobOptions.NONE = none)");
        }
        eosTokenIds = List.copyOf(eosTokenIds);
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) {
            if (s.isEmpty()) {
                throw new IllegalArgumentException("stop strings must not be empty");
            }
        }
    }

    /**
     * Settings without repetition control.
     *
     * @param maxNewTokens the most tokens to generate, ≥ 1
     * @param sampling greedy or sampling settings
     * @param eosTokenIds the EOS ids
     * @param stopStrings the stop strings
     */
    public GenerationConfig(int maxNewTokens, SamplingConfig sampling, List<Integer> eosTokenIds, List<String> stopStrings) {
        this(maxNewTokens, sampling, eosTokenIds, stopStrings, RepetitionControl.NONE, LogprobOptions.NONE, null);
    }

    /**
     * @param control the repetition control
     * @return a copy with it
     */
    public GenerationConfig withRepetition(RepetitionControl control) {
        return new GenerationConfig(maxNewTokens, sampling, eosTokenIds, stopStrings, control, logprobs, constraint);
    }

    /**
     * @param settings greedy or sampling settings
     * @return a copy decoding with them
     */
    public GenerationConfig withSampling(SamplingConfig settings) {
        return new GenerationConfig(maxNewTokens, settings, eosTokenIds, stopStrings, repetition, logprobs, constraint);
    }

    /**
     * @param options which log-probabilities to report
     * @return a copy with them
     */
    public GenerationConfig withLogprobs(LogprobOptions options) {
        return new GenerationConfig(maxNewTokens, sampling, eosTokenIds, stopStrings, repetition, options, constraint);
    }

    /**
     * @param rule which tokens may come next, or null for none
     * @return a copy decoding under it
     */
    public GenerationConfig withConstraint(TokenConstraint rule) {
        return new GenerationConfig(maxNewTokens, sampling, eosTokenIds, stopStrings, repetition, logprobs, rule);
    }

    /**
     * Settings without a constraint.
     *
     * @param maxNewTokens the most tokens to generate, ≥ 1
     * @param sampling greedy or sampling settings
     * @param eosTokenIds the EOS ids
     * @param stopStrings the stop strings
     * @param repetition the repetition control
     * @param logprobs which log-probabilities to report
     */
    public GenerationConfig(int maxNewTokens, SamplingConfig sampling, List<Integer> eosTokenIds, List<String> stopStrings,
            RepetitionControl repetition, LogprobOptions logprobs) {
        this(maxNewTokens, sampling, eosTokenIds, stopStrings, repetition, logprobs, null);
    }

    /**
     * Settings without log-probabilities.
     *
     * @param maxNewTokens the most tokens to generate, ≥ 1
     * @param sampling greedy or sampling settings
     * @param eosTokenIds the EOS ids
     * @param stopStrings the stop strings
     * @param repetition the repetition control
     */
    public GenerationConfig(int maxNewTokens, SamplingConfig sampling, List<Integer> eosTokenIds, List<String> stopStrings,
            RepetitionControl repetition) {
        this(maxNewTokens, sampling, eosTokenIds, stopStrings, repetition, LogprobOptions.NONE, null);
    }

    /**
     * Greedy decoding of up to {@code maxNewTokens} tokens, stopping at the given EOS ids.
     *
     * @param maxNewTokens the most tokens to generate
     * @param eosTokenIds the EOS ids
     * @return the config
     */
    public static GenerationConfig greedy(int maxNewTokens, List<Integer> eosTokenIds) {
        return new GenerationConfig(maxNewTokens, SamplingConfig.GREEDY, eosTokenIds, List.of());
    }
}
