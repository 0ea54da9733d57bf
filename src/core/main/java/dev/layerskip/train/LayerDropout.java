package dev.layerskip.train;

import java.util.SplittableRandom;

/**
 * Layer dropout of LayerSkip (<a href="https://arxiv.org/abs/2404.16710">Elhoushi et al., 2024</a>,
 * §3.1): during training, layer l is skipped for a sample with probability
 * p(l, t) = S(t) · D(l) · p_max. A skipped layer passes its input through unchanged (the whole
 * residual block is bypassed). Draws are per sample, not per batch. Evaluation never drops.
 *
 * @param pMax the largest drop probability, in [0, 1)
 * @param perLayer D(l)
 * @param perStep S(t)
 * @param rampSteps T of S(t)
 */
public record LayerDropout(double pMax, PerLayerScale perLayer, StepScale perStep, long rampSteps) {

    /** Validates the values. */
    public LayerDropout {
        if (!(pMax >= 0 && pMax < 1)) {
            throw new IllegalArgumentException("layer dropout p_max must be in [0, 1), got " + pMax);
        }
        if (perLayer == null || perStep == null) {
            throw new IllegalArgumentException("layer dropout scales must not be null");
        }
        if (rampSteps < 0) {
            throw new IllegalArgumentException("layer dropout ramp steps must be >= 0, got " + rampSteps);
        }
    }

    /**
     * @param layer l
     * @param layers L
     * @param step t
     * @return p(l, t)
     */
    public double probability(int layer, int layers, long step) {
        return perStep.at(step, rampSteps) * perLayer.at(layer, layers) * pMax;
    }

    /**
     * Draws which samples skip which layers at a step.
     *
     * @param batch the batch size
     * @param layers L
     * @param step t
     * @param random the step's random stream
     * @return skip[l][b]: whether sample b skips layer l
     */
    public boolean[][] sample(int batch, int layers, long step, SplittableRandom random) {
        boolean[][] skip = new boolean[layers][batch];
        for (int l = 0; l < layers; l++) {
            double p = probability(l, layers, step);
            for (int b = 0; b < batch; b++) {
                skip[l][b] = p > 0 && random.nextDouble() < p;
            }
        }
        return skip;
    }
}
