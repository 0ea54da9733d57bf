package dev.layerskip.checkpoint;

import java.util.Locale;

/** The rotary position embedding variants of Llama checkpoints ({@code rope_scaling.rope_type}). */
public enum RopeType {
    /** Plain RoPE, {@code inv_freq[i] = theta^(-2i/d)}. */
    DEFAULT,
    /** Position interpolation: every frequency divided by {@code factor}. */
    LINEAR,
    /** Llama 3.1/3.2 frequency-dependent scaling with a smooth band. */
    LLAMA3;

    /**
     * Parses the name used in {@code config.json}.
     *
     * @param name {@code default}, {@code linear} or {@code llama3}
     * @return the type
     * @throws IllegalArgumentException for any other name
     */
    public static RopeType fromConfigName(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "default":
                return DEFAULT;
            case "linear":
                return LINEAR;
            case "llama3":
                return LLAMA3;
            default:
                throw new IllegalArgumentException(
                        "unsupported rope_scaling type '"
                                + name
                                + "' (supported: default, linear, llama3)");
        }
    }
}
