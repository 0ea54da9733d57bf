package dev.layerskip.generate;

import java.util.List;

/**
 * What to generate, independent of the decoding strategy.
 *
 * @param maxNewTokens the most tokens to generate, ≥ 1
 * @param sampling greedy or sampling settings
 * @param eosTokenIds generation stops after any of these ids (the id is kept in the output ids)
 * @param stopStrings generation stops once the text contains any of these (needs a tokenizer)
 */
public record GenerationConfig(
        int maxNewTokens, SamplingConfig sampling, List<Integer> eosTokenIds, List<String> stopStrings) {

    /** Validates the fields. */
    public GenerationConfig {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_new_tokens must be >= 1, got " + maxNewTokens);
        }
        if (sampling == null) {
            throw new IllegalArgumentException("sampling must not be null");
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
