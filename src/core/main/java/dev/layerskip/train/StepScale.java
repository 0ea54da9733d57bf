package dev.layerskip.train;

import java.util.Locale;

/**
 * S(t) of layer dropout: how the drop probability grows over training. Constant (1) for continual
 * pretraining and fine-tuning; linear or exponential ramps from 0 to 1 over T steps when
 * pretraining from scratch.
 */
public enum StepScale {
    /** S(t) = 1. */
    CONSTANT,
    /** S(t) = min(1, t/T). */
    LINEAR,
    /** S(t) = (e^{min(1, t/T)·ln2} − 1): 0 at the start, 1 from step T on. */
    EXP;

    /**
     * @param step t
     * @param rampSteps T
     * @return S(t) in [0, 1]
     */
    public double at(long step, long rampSteps) {
        if (this == CONSTANT) {
            return 1;
        }
        double x = rampSteps <= 0 ? 1 : Math.min(1, (double) step / rampSteps);
        return this == LINEAR ? x : Math.exp(x * Math.log(2)) - 1;
    }

    /**
     * @param name a config name such as {@code linear}
     * @return the scale
     */
    public static StepScale fromName(String name) {
        return Names.parse(StepScale.class, name, "layer dropout step scale");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
