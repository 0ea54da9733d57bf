package dev.layerskip.generate;

import java.util.Locale;

/** The decoding strategies a user can choose. */
public enum DecodingStrategy {
    /** The full model, one token per pass. */
    AUTOREGRESSIVE,
    /** Layers [0, E) and the shared head, one token per pass (LayerSkip early exit). */
    EARLY_EXIT,
    /** Draft with layers [0, E), verify with [E, L) (LayerSkip self-speculative decoding). */
    SELF_SPECULATIVE;

    /** @return the name used on the command line and in JSON, e.g. {@code early-exit} */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Parses a CLI or JSON name ({@code early-exit} or {@code early_exit}, any case).
     *
     * @param name the name
     * @return the strategy
     * @throws IllegalArgumentException naming the accepted values
     */
    public static DecodingStrategy fromName(String name) {
        String key = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (DecodingStrategy s : values()) {
            if (s.name().equals(key)) {
                return s;
            }
        }
        throw new IllegalArgumentException(
                "unknown strategy '" + name + "' (expected autoregressive, early-exit or self-speculative)");
    }
}
