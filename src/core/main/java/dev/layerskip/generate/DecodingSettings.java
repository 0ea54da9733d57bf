package dev.layerskip.generate;

import dev.layerskip.checkpoint.CheckpointException;
import dev.layerskip.checkpoint.SpeculationDefaults;
import dev.layerskip.checkpoint.TokenCounts;
import dev.layerskip.model.DeviceThreads;
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
 * @param draftVocab N, the draft head's vocabulary (the N most frequent tokens of the checkpoint's
 *     {@code token_counts.json}), or null for the checkpoint's {@code draft_vocab_size}, else the full head
 * @param pipelined whether self-speculative greedy requests draft and verify at once on two threads
 *     ({@link SelfSpeculativeGenerator#withPipeline}; true needs a fixed draft length), or null for the
 *     checkpoint's {@code layerskip.json} ({@code "pipelined"}, dropped when the draft length is not fixed and
 *     on a GPU, where true is refused: {@link DeviceThreads})
 */
public record DecodingSettings(DecodingStrategy strategy, Integer exitLayer, Integer numSpeculations,
        Double draftConfidence, boolean adaptiveDrafts, Integer draftVocab, Boolean pipelined) {

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
        if (draftVocab != null && draftVocab < 1) {
            throw new IllegalArgumentException("draft_vocab must be >= 1 (a number of tokens), got " + draftVocab);
        }
    }

    /**
     * Settings whose schedule (rounds or the pipeline) the checkpoint's {@code layerskip.json} decides.
     *
     * @param strategy the strategy
     * @param exitLayer E, or null for the default
     * @param numSpeculations d, or null for the default
     * @param draftConfidence stop a draft below this top probability, in (0, 1), or null
     * @param adaptiveDrafts whether the draft length adapts automatically
     * @param draftVocab N, or null for the checkpoint's
     */
    public DecodingSettings(DecodingStrategy strategy, Integer exitLayer, Integer numSpeculations, Double draftConfidence,
            boolean adaptiveDrafts, Integer draftVocab) {
        this(strategy, exitLayer, numSpeculations, draftConfidence, adaptiveDrafts, draftVocab, null);
    }

    /**
     * Settings with the checkpoint's draft vocabulary (or the full head).
     *
     * @param strategy the strategy
     * @param exitLayer E, or null for the default
     * @param numSpeculations d, or null for the default
     * @param draftConfidence stop a draft below this top probability, in (0, 1), or null
     * @param adaptiveDrafts whether the draft length adapts automatically
     */
    public DecodingSettings(DecodingStrategy strategy, Integer exitLayer, Integer numSpeculations, Double draftConfidence,
            boolean adaptiveDrafts) {
        this(strategy, exitLayer, numSpeculations, draftConfidence, adaptiveDrafts, null);
    }

    /**
     * @param n N for the draft vocabulary, or null for the checkpoint's
     * @return these settings with that draft vocabulary size
     */
    public DecodingSettings withDraftVocab(Integer n) {
        return new DecodingSettings(strategy, exitLayer, numSpeculations, draftConfidence, adaptiveDrafts, n, pipelined);
    }

    /**
     * @param on whether self-speculative greedy requests run as a two-thread pipeline; null: as the
     *     checkpoint's {@code layerskip.json} says
     * @return these settings with that choice
     */
    public DecodingSettings withPipeline(Boolean on) {
        return new DecodingSettings(strategy, exitLayer, numSpeculations, draftConfidence, adaptiveDrafts, draftVocab, on);
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
        return new DecodingSettings(strategy, null, null, null, false, null);
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
     * The draft vocabulary size this resolves to (self-speculative only): the explicit N, else the
     * checkpoint's {@code draft_vocab_size}, else none (the full head).
     *
     * @param vocabSize the model's vocabulary size V
     * @param defaults the checkpoint's saved defaults
     * @return N in 1..V, or empty for the full head
     * @throws IllegalArgumentException if N exceeds the vocabulary
     */
    public Optional<Integer> resolveDraftVocab(int vocabSize, Optional<SpeculationDefaults> defaults) {
        Integer n = draftVocab != null ? draftVocab : defaults.map(SpeculationDefaults::draftVocabSize).orElse(null);
        if (n != null && n > vocabSize) {
            throw new IllegalArgumentException("draft_vocab " + n + " exceeds the vocabulary (" + vocabSize + " tokens)");
        }
        return Optional.ofNullable(n);
    }

    /**
     * Builds the generator for a model without a directory: a draft vocabulary cannot be used.
     *
     * @param model the model
     * @param tokenizer the tokenizer, or null
     * @param defaults the checkpoint's saved defaults
     * @return the generator
     */
    public Generator build(LlamaModel model, TextTokenizer tokenizer, Optional<SpeculationDefaults> defaults) {
        return build(model, tokenizer, defaults, null);
    }

    /**
     * Builds the generator.
     *
     * @param model the model
     * @param tokenizer the tokenizer, or null
     * @param defaults the checkpoint's saved defaults
     * @param directory the checkpoint directory, whose {@code token_counts.json} gives a draft vocabulary, or null
     * @return the generator
     * @throws IllegalArgumentException if a setting does not fit the model, or a draft vocabulary is asked
     *     for and the token counts are missing or malformed (the message names the file)
     */
    public Generator build(LlamaModel model, TextTokenizer tokenizer, Optional<SpeculationDefaults> defaults,
            java.nio.file.Path directory) {
        int e = resolveExitLayer(model.numLayers(), defaults);
        if (strategy == DecodingStrategy.SELF_SPECULATIVE) {
            DraftLength length = resolveDraftLength(defaults);
            if (Boolean.TRUE.equals(pipelined) && !(length instanceof DraftLength.Fixed)) {
                throw new IllegalArgumentException("speculative_pipeline needs a fixed draft length (num_speculations"
                        + " is how far the drafter runs ahead); drop draft_confidence");
            }
            boolean pipe = pipelined != null ? pipelined
                    : length instanceof DraftLength.Fixed && DeviceThreads.pipelineAllowedOn(model.manager().getDevice())
                            && Boolean.TRUE.equals(defaults.map(SpeculationDefaults::pipelined).orElse(null));
            return new SelfSpeculativeGenerator(model, tokenizer, e, length, drafter(model, defaults, directory))
                    .withPipeline(pipe);
        }
        if (Boolean.TRUE.equals(pipelined)) {
            throw new IllegalArgumentException("speculative_pipeline needs the self-speculative strategy");
        }
        if (numSpeculations != null || draftConfidence != null || adaptiveDrafts) {
            throw new IllegalArgumentException("num_speculations and draft_confidence need the self-speculative strategy");
        }
        if (draftVocab != null) {
            throw new IllegalArgumentException("draft_vocab needs the self-speculative strategy");
        }
        return new AutoregressiveGenerator(model, tokenizer, e);
    }

    /** The draft head these settings resolve to: the full head, or a draft vocabulary's. */
    DraftScorer drafter(LlamaModel model, Optional<SpeculationDefaults> defaults, java.nio.file.Path directory) {
        int v = model.config().vocabSize();
        Optional<Integer> n = resolveDraftVocab(v, defaults);
        if (n.isEmpty()) {
            return DraftScorer.full(model);
        }
        if (directory == null) {
            throw new IllegalArgumentException("draft_vocab " + n.get() + " needs the token counts beside a checkpoint ("
                    + TokenCounts.FILE + "); this model was not loaded from a directory");
        }
        try {
            return DraftScorer.restricted(model, TokenCounts.read(directory, v).topIds(n.get()));
        } catch (CheckpointException ex) {
            throw new IllegalArgumentException("draft_vocab " + n.get() + ": " + ex.getMessage(), ex);
        }
    }
}
