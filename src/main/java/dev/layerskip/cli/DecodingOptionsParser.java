package dev.layerskip.cli;

import dev.layerskip.generate.DecodingSettings;
import dev.layerskip.generate.DecodingStrategy;

/** Parses a {@code --draft-confidence} value (a number in (0, 1) or {@code auto}) into settings. */
final class DecodingOptionsParser {

    private final boolean auto;
    private final Double threshold;

    DecodingOptionsParser(String draftConfidence) {
        auto = "auto".equalsIgnoreCase(draftConfidence);
        if (draftConfidence == null || auto) {
            threshold = null;
            return;
        }
        try {
            threshold = Double.parseDouble(draftConfidence);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "--draft-confidence must be a number in (0, 1) or auto, got '" + draftConfidence + "'", e);
        }
    }

    DecodingSettings settings(Integer exitLayer, Integer numSpeculations) {
        return new DecodingSettings(DecodingStrategy.SELF_SPECULATIVE, exitLayer, numSpeculations, threshold, auto);
    }

    DecodingSettings settings(DecodingStrategy strategy, Integer exitLayer, Integer numSpeculations) {
        return new DecodingSettings(strategy, exitLayer, numSpeculations, threshold, auto);
    }
}
