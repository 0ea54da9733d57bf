package dev.layerskip.train;

import java.util.Locale;

/**
 * e(l) of the early-exit loss: the weight of layer l's exit before normalisation
 * ({@link EarlyExitLoss} multiplies every non-final layer's e(l) by e_scale).
 */
public enum ExitScale {
    /** e(l) = 1. */
    UNIFORM,
    /** e(l) = l + 1. */
    LINEAR,
    /** e(l) = Σ_{i=0..l} i for l &lt; L-1, e(L-1) = L-1 (the paper's). */
    SUM_L,
    /** e(l) = sqrt(l + 1). */
    SQRT,
    /** e(l) = 1 / (l + 1). */
    INVERSE,
    /** e(l) = 1 / sqrt(l + 1). */
    INVERSE_SQRT;

    /**
     * @param layer l in 0..L-1
     * @param layers L
     * @return e(l) before e_scale
     */
    public double at(int layer, int layers) {
        switch (this) {
            case UNIFORM:
                return 1;
            case LINEAR:
                return layer + 1;
            case SUM_L:
                return layer == layers - 1 ? layers - 1 : layer * (layer + 1) / 2.0;
            case SQRT:
                return Math.sqrt(layer + 1);
            case INVERSE:
                return 1.0 / (layer + 1);
            case INVERSE_SQRT:
            default:
                return 1 / Math.sqrt(layer + 1);
        }
    }

    /**
     * @param name a config name such as {@code sum_l}
     * @return the scale
     */
    public static ExitScale fromName(String name) {
        return Names.parse(ExitScale.class, name, "early-exit scale");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
