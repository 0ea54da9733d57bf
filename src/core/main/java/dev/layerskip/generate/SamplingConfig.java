package dev.layerskip.generate;

/**
 * How the next token is chosen from the logits.
 *
 * @param temperature 0 for greedy (argmax); otherwise logits are divided by it, must be ≥ 0
 * @param topK keep only the k most likely tokens; 0 turns it off
 * @param topP keep the smallest set of most likely tokens whose probability reaches p, in (0, 1]
 * @param seed the random seed: the same seed gives the same tokens
 */
public record SamplingConfig(double temperature, int topK, double topP, long seed) {

    /** Greedy decoding. */
    public static final SamplingConfig GREEDY = new SamplingConfig(0, 0, 1, 0);

    /** Validates the ranges. */
    public SamplingConfig {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("top_k must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
        }
    }

    /** @return whether this is greedy decoding */
    public boolean isGreedy() {
        return temperature == 0;
    }

    /**
     * @param newSeed the random stream's seed
     * @return the same settings drawing from another stream
     */
    public SamplingConfig withSeed(long newSeed) {
        return new SamplingConfig(temperature, topK, topP, newSeed);
    }
}
