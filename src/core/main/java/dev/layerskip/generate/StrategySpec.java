package dev.layerskip.generate;

/**
 * A decoding strategy written as one word, the way the benchmarks' flags take it: {@code autoregressive},
 * {@code early-exit:E}, {@code self-speculative} (the checkpoint's E and d) or {@code self-speculative:E:D}.
 * The one parser of such text.
 *
 * @param strategy the strategy
 * @param exitLayer E (early exit, or self-speculation with an explicit d), or null for the checkpoint's
 * @param numSpeculations d (self-speculation), or null for the checkpoint's
 */
public record StrategySpec(DecodingStrategy strategy, Integer exitLayer, Integer numSpeculations) {

    private static final String FORMS = "autoregressive, early-exit:E, self-speculative or self-speculative:E:D";

    /** Validates the combination and the ranges. */
    public StrategySpec {
        if (strategy == null) {
            throw new IllegalArgumentException("strategy must not be null");
        }
        boolean valid = switch (strategy) {
            case AUTOREGRESSIVE -> exitLayer == null && numSpeculations == null;
            case EARLY_EXIT -> exitLayer != null && numSpeculations == null;
            case SELF_SPECULATIVE -> (exitLayer == null) == (numSpeculations == null);
        };
        if (!valid) {
            throw new IllegalArgumentException("a strategy is one of " + FORMS + "; got " + strategy.cliName()
                    + (exitLayer != null ? " E=" + exitLayer : "") + (numSpeculations != null ? " D=" + numSpeculations : ""));
        }
        if (exitLayer != null && exitLayer < 1) {
            throw new IllegalArgumentException("the exit layer E must be >= 1, got " + exitLayer);
        }
        if (numSpeculations != null && numSpeculations < 1) {
            throw new IllegalArgumentException("the draft length D must be >= 1, got " + numSpeculations);
        }
    }

    /**
     * Parses one word.
     *
     * @param text e.g. {@code self-speculative:4:3}
     * @return the spec
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    public static StrategySpec parse(String text) {
        String[] parts = text.trim().split(":", -1);
        try {
            DecodingStrategy strategy = DecodingStrategy.fromName(parts[0]);
            Integer exit = parts.length > 1 ? Integer.valueOf(parts[1].trim()) : null;
            Integer d = parts.length > 2 ? Integer.valueOf(parts[2].trim()) : null;
            if (parts.length > 3) {
                throw new IllegalArgumentException("too many parts");
            }
            return new StrategySpec(strategy, exit, d);
        } catch (IllegalArgumentException e) { // NumberFormatException included
            throw new IllegalArgumentException("expected " + FORMS + ", got '" + text + "' (" + e.getMessage() + ")", e);
        }
    }

    /** @return the settings this spec fixes (the rest from the checkpoint) */
    public DecodingSettings settings() {
        return new DecodingSettings(strategy, exitLayer, numSpeculations, null, false);
    }

    @Override
    public String toString() {
        return strategy.cliName() + (exitLayer != null ? ":" + exitLayer : "") + (numSpeculations != null ? ":" + numSpeculations : "");
    }
}
