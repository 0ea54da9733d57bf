package dev.layerskip.generate;

import dev.layerskip.checkpoint.GenerationDefaults;

/**
 * Repetition control applied to the logits before the next token is chosen, with the usual
 * semantics of Hugging Face / LMI and OpenAI. Every setting's neutral value turns it off.
 *
 * <ul>
 *   <li>{@code repetition_penalty} r &gt; 0 (1 = off): for each token id present in the prompt or the
 *       output so far, a positive logit is divided by r and a negative one multiplied by r.
 *   <li>{@code no_repeat_ngram_size} n &ge; 0 (0 = off): a token that would complete an n-gram already
 *       present in the prompt plus the output gets logit -&infin;.
 *   <li>{@code presence_penalty} in [-2, 2] and {@code frequency_penalty} in [-2, 2] (0 = off): the
 *       logit of a token generated c times drops by {@code presence * [c > 0] + frequency * c}; only
 *       generated tokens count, not the prompt.
 * </ul>
 *
 * @param repetitionPenalty r, finite and &gt; 0
 * @param noRepeatNgramSize n, &ge; 0
 * @param presencePenalty in [-2, 2]
 * @param frequencyPenalty in [-2, 2]
 */
public record RepetitionControl(
        double repetitionPenalty, int noRepeatNgramSize, double presencePenalty, double frequencyPenalty) {

    /** Every control off. */
    public static final RepetitionControl NONE = new RepetitionControl(1.0, 0, 0, 0);

    /** Validates the ranges; each message names the parameter. */
    public RepetitionControl {
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition_penalty must be a finite number > 0 (1 = off), got "
                    + repetitionPenalty);
        }
        if (noRepeatNgramSize < 0) {
            throw new IllegalArgumentException("no_repeat_ngram_size must be >= 0 (0 = off), got " + noRepeatNgramSize);
        }
        if (!(presencePenalty >= -2 && presencePenalty <= 2)) {
            throw new IllegalArgumentException("presence_penalty must be in [-2, 2], got " + presencePenalty);
        }
        if (!(frequencyPenalty >= -2 && frequencyPenalty <= 2)) {
            throw new IllegalArgumentException("frequency_penalty must be in [-2, 2], got " + frequencyPenalty);
        }
    }

    /**
     * The Hugging Face / LMI controls, with the OpenAI ones off.
     *
     * @param repetitionPenalty r &gt; 0 (1 = off)
     * @param noRepeatNgramSize n &ge; 0 (0 = off)
     * @return the settings
     */
    public static RepetitionControl of(double repetitionPenalty, int noRepeatNgramSize) {
        return new RepetitionControl(repetitionPenalty, noRepeatNgramSize, 0, 0);
    }

    /**
     * A checkpoint's defaults: {@code repetition_penalty} and {@code no_repeat_ngram_size} of its
     * generation_config.json (off where absent).
     *
     * @param defaults the checkpoint's generation defaults
     * @return the settings
     */
    public static RepetitionControl of(GenerationDefaults defaults) {
        return of(defaults.repetitionPenalty(), defaults.noRepeatNgramSize());
    }

    /** @return whether any control changes the logits (else decoding takes the unpenalised fast path) */
    public boolean isActive() {
        return repetitionPenalty != 1 || noRepeatNgramSize > 0 || presencePenalty != 0 || frequencyPenalty != 0;
    }

    /**
     * @param r the repetition penalty
     * @return a copy with it
     */
    public RepetitionControl withRepetitionPenalty(double r) {
        return new RepetitionControl(r, noRepeatNgramSize, presencePenalty, frequencyPenalty);
    }

    /**
     * @param n the n-gram size
     * @return a copy with it
     */
    public RepetitionControl withNoRepeatNgramSize(int n) {
        return new RepetitionControl(repetitionPenalty, n, presencePenalty, frequencyPenalty);
    }

    /**
     * @param presence the presence penalty
     * @param frequency the frequency penalty
     * @return a copy with them
     */
    public RepetitionControl withOpenAiPenalties(double presence, double frequency) {
        return new RepetitionControl(repetitionPenalty, noRepeatNgramSize, presence, frequency);
    }
}
