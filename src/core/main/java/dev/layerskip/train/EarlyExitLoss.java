package dev.layerskip.train;

import java.util.Set;
import java.util.TreeSet;

/**
 * The early-exit loss of LayerSkip (<a href="https://arxiv.org/abs/2404.16710">Elhoushi et al.,
 * 2024</a>, §3.2): J = Σ_l ẽ(t, l) · CE(g(x_{l+1}), Y), every exit through the same head g, with
 * ẽ(t, l) = C(t, l)·e(l) / Σ_i C(t, i)·e(i). e(l) is the chosen {@link ExitScale} times e_scale
 * for every layer but the last; C(t, l) is the curriculum, always 1 for the last layer.
 *
 * @param enabled false for plain training (only the last layer's loss)
 * @param scale e(l)
 * @param eScale the multiplier of non-final layers' e(l)
 * @param curriculum C(t, l)
 * @param rotation R of the rotational curriculum
 * @param gradualSteps T_c of the gradual curriculum
 * @param exitLayers the layers (0-based l, whose exit is x_{l+1}) allowed to exit; empty = all
 */
public record EarlyExitLoss(
        boolean enabled, ExitScale scale, double eScale, CurriculumType curriculum, int rotation, long gradualSteps,
        Set<Integer> exitLayers) {

    /** Plain next-token loss at the last layer only. */
    public static final EarlyExitLoss OFF = new EarlyExitLoss(false, ExitScale.SUM_L, 1, CurriculumType.NONE, 1, 0, Set.of());

    /** Validates the values. */
    public EarlyExitLoss {
        if (scale == null || curriculum == null) {
            throw new IllegalArgumentException("early-exit scale and curriculum must not be null");
        }
        if (!(eScale >= 0)) {
            throw new IllegalArgumentException("early-exit e_scale must be >= 0, got " + eScale);
        }
        if (rotation < 1) {
            throw new IllegalArgumentException("rotational curriculum R must be >= 1, got " + rotation);
        }
        if (gradualSteps < 0) {
            throw new IllegalArgumentException("gradual curriculum steps must be >= 0, got " + gradualSteps);
        }
        exitLayers = Set.copyOf(new TreeSet<>(exitLayers));
        for (int l : exitLayers) {
            if (l < 0) {
                throw new IllegalArgumentException("early-exit layer " + l + " must be >= 0");
            }
        }
    }

    /**
     * C(t, l): whether layer l's exit is on at step t.
     *
     * @param step t
     * @param layer l
     * @param layers L
     * @return the curriculum mask value
     */
    public boolean active(long step, int layer, int layers) {
        if (layer == layers - 1) {
            return true;
        }
        if (!enabled || (!exitLayers.isEmpty() && !exitLayers.contains(layer))) {
            return false;
        }
        switch (curriculum) {
            case NONE:
                return true;
            case ROTATIONAL:
                return layer % rotation == step % rotation;
            case GRADUAL:
            default:
                // Exits switch on from the last layer downwards: at step t the deepest
                // ceil((L-1)·t/T_c) non-final layers are on.
                long on = gradualSteps == 0 ? layers - 1 : (long) Math.ceil((layers - 1) * Math.min(1.0, (double) step / gradualSteps));
                return layer >= layers - 1 - on;
        }
    }

    /**
     * ẽ(t, l) for every layer: the normalised loss weights of a step (0 where the exit is off).
     *
     * @param step t
     * @param layers L
     * @return L weights summing to 1
     */
    public double[] weights(long step, int layers) {
        double[] w = new double[layers];
        double sum = 0;
        for (int l = 0; l < layers; l++) {
            if (active(step, l, layers)) {
                w[l] = scale.at(l, layers) * (l == layers - 1 ? 1 : eScale);
                sum += w[l];
            }
        }
        if (!(sum > 0)) {
            w[layers - 1] = 1;
            return w;
        }
        for (int l = 0; l < layers; l++) {
            w[l] /= sum;
        }
        return w;
    }
}
