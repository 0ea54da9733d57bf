package dev.layerskip.eval.task;

import dev.layerskip.checkpoint.SpeculationDefaults;
import dev.layerskip.generate.DecodingSettings;
import dev.layerskip.generate.DecodingStrategy;
import dev.layerskip.generate.Generator;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.tokenizer.TextTokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One strategy of a task evaluation, written as on the command line: {@code autoregressive},
 * {@code early-exit} or {@code early-exit:E}, {@code self-speculative} or {@code self-speculative:E:D}.
 * Unset values resolve like {@code generate}'s (the checkpoint's {@code layerskip.json}, else
 * E = L/2 for early exit and E = L/4, d = 4 for self-speculation).
 *
 * @param settings the decoding settings
 */
public record TaskStrategy(DecodingSettings settings) {

    /** Checks the settings are set. */
    public TaskStrategy {
        if (settings == null) {
            throw new IllegalArgumentException("settings must not be null");
        }
    }

    /** @return the full model, the reference of every evaluation */
    public static TaskStrategy autoregressive() {
        return new TaskStrategy(DecodingSettings.of(DecodingStrategy.AUTOREGRESSIVE));
    }

    /**
     * @param exitLayer E
     * @return early exit at E
     */
    public static TaskStrategy earlyExit(int exitLayer) {
        return new TaskStrategy(new DecodingSettings(DecodingStrategy.EARLY_EXIT, exitLayer, null, null, false));
    }

    /**
     * @param exitLayer the draft exit E
     * @param numSpeculations the draft length d
     * @return self-speculative decoding with these settings
     */
    public static TaskStrategy selfSpeculative(int exitLayer, int numSpeculations) {
        return new TaskStrategy(new DecodingSettings(DecodingStrategy.SELF_SPECULATIVE, exitLayer, numSpeculations, null, false));
    }

    /**
     * Parses one strategy.
     *
     * @param text e.g. {@code early-exit:4} or {@code self-speculative:2:4}
     * @return the strategy
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    public static TaskStrategy parse(String text) {
        String[] parts = text.trim().split(":", -1);
        DecodingStrategy strategy = DecodingStrategy.fromName(parts[0]);
        int expected = strategy == DecodingStrategy.AUTOREGRESSIVE ? 1 : strategy == DecodingStrategy.EARLY_EXIT ? 2 : 3;
        if (parts.length != 1 && parts.length != expected) {
            throw new IllegalArgumentException("strategy '" + text
                    + "': expected autoregressive, early-exit[:E] or self-speculative[:E:D]");
        }
        Integer e = parts.length > 1 ? number(parts[1], text) : null;
        Integer d = parts.length > 2 ? number(parts[2], text) : null;
        return new TaskStrategy(new DecodingSettings(strategy, e, d, null, false));
    }

    /**
     * Parses a comma-separated list.
     *
     * @param list e.g. {@code autoregressive,early-exit:4,self-speculative:2:4}
     * @return the strategies, in order
     */
    public static List<TaskStrategy> parseList(String list) {
        List<TaskStrategy> out = new ArrayList<>();
        for (String s : list.split(",")) {
            if (!s.isBlank()) {
                out.add(parse(s));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no strategies in '" + list + "'");
        }
        return out;
    }

    /**
     * The strategies evaluated when none are named: autoregressive, early exit at L/4 and L/2, and
     * self-speculative decoding with the checkpoint's saved (or default) E and d.
     *
     * @param layers L
     * @return the four strategies (fewer for a model too shallow to exit early)
     */
    public static List<TaskStrategy> defaults(int layers) {
        List<TaskStrategy> out = new ArrayList<>();
        out.add(autoregressive());
        if (layers >= 4) {
            out.add(earlyExit(layers / 4));
        }
        if (layers >= 2) {
            out.add(earlyExit(layers / 2));
            out.add(new TaskStrategy(DecodingSettings.of(DecodingStrategy.SELF_SPECULATIVE)));
        }
        return out;
    }

    /** @return the decoding strategy */
    public DecodingStrategy strategy() {
        return settings.strategy();
    }

    /**
     * @param model the model
     * @param defaults the checkpoint's saved speculation defaults
     * @return the exit layer this resolves to (L for autoregressive)
     */
    public int exitLayer(LlamaModel model, Optional<SpeculationDefaults> defaults) {
        return settings.resolveExitLayer(model.numLayers(), defaults);
    }

    /**
     * @param defaults the checkpoint's saved speculation defaults
     * @return the draft length (0 unless self-speculative)
     */
    public int numSpeculations(Optional<SpeculationDefaults> defaults) {
        return strategy() == DecodingStrategy.SELF_SPECULATIVE ? settings.resolveDraftLength(defaults).max() : 0;
    }

    /**
     * @param model the model
     * @param defaults the checkpoint's saved speculation defaults
     * @return how reports name it, e.g. {@code early-exit E=4} or {@code self-speculative E=2 d=4}
     */
    public String label(LlamaModel model, Optional<SpeculationDefaults> defaults) {
        switch (strategy()) {
            case AUTOREGRESSIVE:
                return "autoregressive";
            case EARLY_EXIT:
                return "early-exit E=" + exitLayer(model, defaults);
            case SELF_SPECULATIVE:
            default:
                return "self-speculative E=" + exitLayer(model, defaults) + " d=" + numSpeculations(defaults);
        }
    }

    /**
     * @param model the model
     * @param tokenizer its tokenizer
     * @param defaults the checkpoint's saved speculation defaults
     * @param directory the checkpoint directory (its token counts give a saved draft vocabulary), or null
     * @return the generator
     * @throws IllegalArgumentException if the settings do not fit the model (e.g. E out of range)
     */
    public Generator generator(LlamaModel model, TextTokenizer tokenizer, Optional<SpeculationDefaults> defaults,
            java.nio.file.Path directory) {
        return settings.build(model, tokenizer, defaults, directory);
    }

    private static int number(String value, String text) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("strategy '" + text + "': '" + value + "' is not a whole number", e);
        }
    }
}
