package dev.layerskip.train;

import java.util.Locale;

/** Which early exits are on at a step (C(t, l)); the last layer is always on. */
public enum CurriculumType {
    /** Every allowed exit, every step. */
    NONE,
    /** Every R-th layer, rotating with the step: l mod R == t mod R. */
    ROTATIONAL,
    /** Exits switch on from the last layer downwards as training advances over T_c steps. */
    GRADUAL;

    /**
     * @param name a config name such as {@code rotational}
     * @return the type
     */
    public static CurriculumType fromName(String name) {
        return Names.parse(CurriculumType.class, name, "early-exit curriculum");
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
