package dev.layerskip.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Turns logits into a next-token distribution (temperature, then top-k, then top-p, as in Hugging
 * Face) and draws from it with a seeded generator, so the same seed gives the same tokens.
 * Self-speculative sampling uses {@link #distribution} for both the draft q and the full model p,
 * so both are shaped by the same settings.
 */
public final class Sampler {

    private final SamplingConfig config;
    private final SplittableRandom random;

    /**
     * Creates a sampler seeded from the config.
     *
     * @param config the sampling settings
     */
    public Sampler(SamplingConfig config) {
        this.config = config;
        this.random = new SplittableRandom(config.seed());
    }

    /** @return the settings */
    public SamplingConfig config() {
        return config;
    }

    /**
     * Picks the next token: argmax when greedy, else a draw from {@link #distribution}.
     *
     * @param logits the logits over the vocabulary
     * @return the token id
     */
    public int next(float[] logits) {
        return config.isGreedy() ? argmax(logits) : draw(distribution(logits));
    }

    /**
     * The index of the largest logit (the first on ties).
     *
     * @param logits the logits
     * @return the index
     */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The next-token distribution after temperature, top-k and top-p; one-hot at the argmax when
     * greedy.
     *
     * @param logits the logits over the vocabulary
     * @return probabilities summing to 1
     */
    public double[] distribution(float[] logits) {
        int v = logits.length;
        double[] p = new double[v];
        if (config.isGreedy()) {
            p[argmax(logits)] = 1;
            return p;
        }
        float max = logits[argmax(logits)];
        for (int i = 0; i < v; i++) {
            p[i] = Math.exp((logits[i] - max) / config.temperature());
        }
        boolean topK = config.topK() > 0 && config.topK() < v;
        if (topK || config.topP() < 1) {
            int[] order = descendingOrder(logits);
            int keep = topK ? config.topK() : v;
            if (config.topP() < 1) {
                double total = 0;
                for (int j = 0; j < keep; j++) {
                    total += p[order[j]];
                }
                double cumulative = 0;
                for (int j = 0; j < keep; j++) {
                    cumulative += p[order[j]] / total;
                    if (cumulative >= config.topP()) {
                        keep = j + 1;
                        break;
                    }
                }
            }
            for (int j = keep; j < v; j++) {
                p[order[j]] = 0;
            }
        }
        return normalize(p);
    }

    /**
     * Scales non-negative weights to sum to 1.
     *
     * @param weights the weights (modified and returned)
     * @return the weights, normalised
     */
    static double[] normalize(double[] weights) {
        double sum = 0;
        for (double w : weights) {
            sum += w;
        }
        if (!(sum > 0)) {
            throw new IllegalStateException("cannot normalise a distribution with total " + sum);
        }
        for (int i = 0; i < weights.length; i++) {
            weights[i] /= sum;
        }
        return weights;
    }

    /**
     * Draws an index from a distribution.
     *
     * @param probabilities probabilities summing to 1
     * @return the drawn index
     */
    public int draw(double[] probabilities) {
        double u = random.nextDouble();
        double cumulative = 0;
        int last = 0;
        for (int i = 0; i < probabilities.length; i++) {
            if (probabilities[i] > 0) {
                cumulative += probabilities[i];
                last = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        return last; // rounding left u just above the total
    }

    /** @return a uniform draw in [0, 1) from this sampler's stream */
    public double uniform() {
        return random.nextDouble();
    }

    private static int[] descendingOrder(float[] logits) {
        long[] keys = new long[logits.length];
        for (int i = 0; i < logits.length; i++) {
            int bits = Float.floatToIntBits(logits[i]);
            int sortable = bits >= 0 ? bits : bits ^ 0x7fffffff; // ascending int order = ascending float order
            keys[i] = ((long) ~sortable << 32) | i; // descending by value, then ascending by index
        }
        Arrays.sort(keys);
        int[] order = new int[logits.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = (int) keys[i];
        }
        return order;
    }
}
