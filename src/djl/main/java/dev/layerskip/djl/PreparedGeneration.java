package dev.layerskip.djl;

import dev.layerskip.generate.DecodingStrategy;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.Generator;

/**
 * A request checked and resolved against the model, ready to run: everything that can be wrong
 * with a request is found while preparing it, before any response (or stream) starts.
 *
 * @param request the request
 * @param promptIds the encoded prompt
 * @param strategy the resolved decoding strategy
 * @param generator the generator for that strategy
 * @param config what to generate
 */
public record PreparedGeneration(
        LmiRequest request, int[] promptIds, DecodingStrategy strategy, Generator generator, GenerationConfig config) {

    /** Copies the prompt ids. */
    public PreparedGeneration {
        promptIds = promptIds.clone();
    }

    /**
     * @param options which log-probabilities to report
     * @return a copy whose generation reports them
     */
    public PreparedGeneration withLogprobs(dev.layerskip.generate.LogprobOptions options) {
        return new PreparedGeneration(request, promptIds, strategy, generator, config.withLogprobs(options));
    }

    /**
     * @param constraint which tokens may come next (e.g. JSON of a schema), or null
     * @return a copy whose generation decodes under it
     */
    public PreparedGeneration withConstraint(dev.layerskip.generate.TokenConstraint constraint) {
        return new PreparedGeneration(request, promptIds, strategy, generator, config.withConstraint(constraint));
    }

    /**
     * The i-th choice of this request: sampled choices draw with seed + i (greedy ones are identical).
     *
     * @param i the choice's index, from 0
     * @return the generation of that choice
     */
    public PreparedGeneration choice(int i) {
        if (i == 0 || config.sampling().isGreedy()) {
            return this;
        }
        return new PreparedGeneration(request, promptIds, strategy, generator,
                config.withSampling(config.sampling().withSeed(config.sampling().seed() + i)));
    }

    @Override
    public int[] promptIds() {
        return promptIds.clone();
    }
}
