package dev.layerskip.generate;

import dev.layerskip.checkpoint.SpeculationDefaults;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.tokenizer.TextTokenizer;

import java.util.Optional;

/**
 * A user's choice of decoding strategy with optional overrides, resolved against the model into a
 * {@link Generator}. Unset values come from the checkpoint's {@code layerskip.json} when it has
 * one, else from fixed fallbacks: early exit at L/2; self-speculation with E = L/4 and d = 4.
 *
 * @param strategy the strategy
 * @param exitLayer E, or null for the default
 * @param numSpeculations d, or null for the default
 * @param draftConfidence stop a draft below this top probability, in (0, 1), or null
 * @param adaptiveDrafts whether the draft length adapts automatically ({@code --draft-confidence auto})
 */
public record DecodingSettings(
        DecodingStrategy strategy, Integer exitLayer, Integer numSpeculations, Double draftConfidence, boolean adaptiveDrafts) {

    /** Validates what can be validated without the model. */
    public DecodingSettings {
        if (strategy == null) {
            throw new IllegalArgumentException("strategy must not be null");
        }
        if (numSpeculations != null && numSpeculations < 1) {
            throw new IllegalArgumentException("num_speculations must be >= 1, got " + numSpeculations);
        }
        if (draftConfidence != null && !(draftConfidence > 0 && draftConfidence < 1)) {
            throw new IllegalArgumentException("draft_confidence must be in (0, 1), got " + draftConfidence);
        }
        if (draftConfidence != null && adaptiveDrafts) {
            throw new IllegalArgumentException("draft_confidence is either a number or auto, not both");
        }
    }

    /**
     * Settings with the draft confidence given as text, as users write it: a number in (0, 1), or
     * {@code auto} for adaptive drafts.
     *
     * @param strategy the strategy
     * @param exitLayer E, or null for the default
     * @param numSpeculations d, or null for the default
     * @param draftConfidence a number, {@code auto}, or null for none
     * @param confidenceName how the confidence is named in errors (e.g. {@code --draft-confidence})
     * @return the settings
     * @throws IllegalArgumentException naming the value when it is neither a number nor auto, or out of range
     */
    public static DecodingSettings parse(DecodingStrategy strategy, Integer exitLayer, Integer numSpeculations,
            String draftConfidence, String confidenceName) {
        boolean auto = draftConfidence != null && draftConfidence.trim().equalsIgnoreCase("auto");
        Double threshold = null;
        if (draftConfidence != null && !auto) {
            try {
                threshold = Double.parseDouble(draftConfidence.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        confidenceName + " must be a number in (0, 1) or auto, got '" + draftConfidence + "'", e);
            }
        }
        return new DecodingSettings(strategy, exitLayer, numSpeculations, threshold, auto);
    }

    /**
     * @param strategy the strategy, with every value defaulted
     * @return the settings
     */
    public static DecodingSettings of(DecodingStrategy strategy) {
        return new DecodingSettings(strategy, null, null, null, false);
    }

    /**
     * The exit layer this resolves to.
     *
     * @param layers L
     * @param defaults the checkpoint's saved defaults
     * @return E
     */
    public int resolveExitLayer(int layers, Optional<SpeculationDefaults> defaults) {
        switch (strategy) {
            case AUTOREGRESSIVE:
                if (exitLayer != null && exitLayer != layers) {
                    throw new IllegalArgumentException("exit layer " + exitLayer
                            + " needs the early-exit strategy (autoregressive uses all " + layers + " layers)");
                }
                return layers;
            case EARLY_EXIT:
                int e = exitLayer != null ? exitLayer : defaults.map(SpeculationDefaults::exitLayer).orElse(Math.max(1, layers / 2));
                if (e < 1 || e > layers) {
                    throw new IllegalArgumentException("exit layer " + e + " is outside 1.." + layers);
                }
                return e;
            case SELF_SPECULATIVE:
            default:
                int s = exitLayer != null ? exitLayer : defaults.map(SpeculationDefaults::exitLayer).orElse(Math.max(1, layers / 4));
                if (s < 1 || s >= layers) {
                    throw new IllegalArgumentException("exit layer " + s + " is outside 1.." + (layers - 1) + " for self-speculative decoding");
                }
                return s;
        }
    }

    /**
     * The draft length policy this resolves to (self-speculative only).
     *
     * @param defaults the checkpoint's saved defaults
     * @return the policy
     */
    public DraftLength resolveDraftLength(Optional<SpeculationDefaults> defaults) {
        int d = numSpeculations != null ? numSpeculations : defaults.map(SpeculationDefaults::numSpeculations).orElse(4);
        if (adaptiveDrafts) {
            return new DraftLength.Adaptive(d);
        }
        return draftConfidence != null ? new DraftLength.Confident(d, draftConfidence) : new DraftLength.Fixed(d);
    }

    /**
     * Builds the generator.
     *
     * @param model the model
     * @param tokenizer the tokenizer, or null
     * @param defaults the checkpoint's saved defaults
     * @return the generator
     */
    public Generator build(LlamaModel model, TextTokenizer tokenizer, Optional<SpeculationDefaults> defaults) {
        int e = resolveExitLayer(model.numLayers(), defaults);
        if (strategy == DecodingStrategy.SELF_SPECULATIVE) {
            return new SelfSpeculativeGenerator(model, tokenizer, e, resolveDraftLength(defaults));
        }
        if (numSpeculations != null || draftConfidence != null || adaptiveDrafts) {
            throw new IllegalArgumentException("num_speculations and draft_confidence need the self-speculative strategy");
        }
        return new AutoregressiveGenerator(model, tokenizer, e);
    }
}
