package dev.layerskip.train;

import java.util.Locale;

/**
 * D(l) of layer dropout: how the drop probability grows with depth, 0 at the first layer and 1 at
 * the last (uniform: 1 everywhere). LayerSkip (<a href="https://arxiv.org/abs/2404.16710">Elhoushi
 * et al., 2024</a>, §3.1) uses the exponential curve.
 */
public enum PerLayerScale {
    /** D(l) = 1. */
    UNIFORM,
    /** D(l) = l / (L-1). */
    LINEAR,
    /** D(l) = e^{l·ln2/(L-1)} − 1 (the paper's). */
    EXP,
    /** D(l) = ln(1 + l) / ln(L). */
    LOG,
    /** D(l) = sin(π/2 · l/(L-1)). */
    SIN,
    /** D(l) = logistic(12·(l/(L-1) − 0.5)), rescaled to 0 at the first and 1 at the last layer. */
    SIGMOID;

    /**
     * @param layer l in 0..L-1
     * @param layers L
     * @return D(l) in [0, 1]
     */
    public double at(int layer, int layers) {
        if (layers == 1) {
            return this == UNIFORM ? 1 : 0;
        }
        double x = (double) layer / (layers - 1);
        switch (this) {
            case UNIFORM:
                return 1;
            case LINEAR:
                return x;
            case EXP:
                return Math.exp(layer * Math.log(2) / (layers - 1)) - 1;
            case LOG:
                return Math.log1p(layer) / Math.log(layers);
            case SIN:
                return Math.sin(Math.PI / 2 * x);
            case SIGMOID:
            default:
                double lo = logistic(-6);
                double hi = logistic(6);
                return (logistic(12 * (x - 0.5)) - lo) / (hi - lo);
        }
    }

    private static double logistic(double z) {
        return 1 / (1 + Math.exp(-z));
    }

    /**
     * @param name a config name such as {@code exp}
     * @return the scale
     */
    public static PerLayerScale fromName(String name) {
        return Names.parse(PerLayerScale.class, name, "layer dropout per-layer scale");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
