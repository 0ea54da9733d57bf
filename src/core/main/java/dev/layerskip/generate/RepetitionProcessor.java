package dev.layerskip.generate;

import java.util.Arrays;

/**
 * Applies {@link RepetitionControl} to logits, given the tokens before the position being predicted.
 * The one place where repetition control is applied: the autoregressive step, every draft step and
 * every verification row of self-speculation all call {@link #apply(float[])}, each with exactly the
 * tokens before its position (for draft i and verification row i: prompt, accepted output, drafts
 * 0..i-1). The same context and the same logits give the same penalised logits, so greedy
 * self-speculation stays token-for-token identical to autoregressive decoding with the same settings,
 * and speculative sampling keeps the penalised distribution.
 *
 * <p>A {@link TokenConstraint} (constrained decoding) is applied here too, after the penalties, with the
 * generated tokens of the same context, so drafts and verification rows see the same rule.
 *
 * <p>Not thread-safe: one per generation.
 */
public final class RepetitionProcessor {

    private final RepetitionControl control;
    private final int promptLength;
    private int[] tokens;
    private int length;
    private boolean[] seen = new boolean[0];
    private int[] counts = new int[0];
    private final TokenConstraint constraint; // null: none
    private final int limit; // tokens a generation may emit, for the constraint
    private TokenConstraint.State[] states; // [generated tokens] -> the constraint's state after them

    /**
     * Starts a context with the prompt.
     *
     * @param control the settings
     * @param promptIds the prompt
     */
    public RepetitionProcessor(RepetitionControl control, int[] promptIds) {
        this(control, promptIds, null, Integer.MAX_VALUE);
    }

    /**
     * Starts a context with the prompt, under a constraint on the generated tokens.
     *
     * @param control the settings
     * @param promptIds the prompt
     * @param constraint which tokens may follow the generated ones, or null for none
     * @param limit how many tokens the generation may emit (the constraint finishes within it)
     */
    public RepetitionProcessor(RepetitionControl control, int[] promptIds, TokenConstraint constraint, int limit) {
        if (control == null) {
            throw new IllegalArgumentException("repetition control must not be null");
        }
        this.control = control;
        this.promptLength = promptIds.length;
        this.tokens = Arrays.copyOf(promptIds, promptIds.length + 64);
        this.length = promptIds.length;
        this.constraint = constraint;
        this.limit = limit;
        if (constraint != null) {
            states = new TokenConstraint.State[64];
            states[0] = constraint.start();
        }
    }

    private RepetitionProcessor(RepetitionProcessor other) {
        this.control = other.control;
        this.promptLength = other.promptLength;
        this.tokens = other.tokens.clone();
        this.length = other.length;
        this.constraint = other.constraint;
        this.limit = other.limit;
        this.states = other.states == null ? null : other.states.clone();
    }

    /**
     * An independent copy of this context (the pipeline's drafting thread keeps its own).
     *
     * @return the copy
     */
    public RepetitionProcessor copy() {
        return new RepetitionProcessor(this);
    }

    /** @return whether the settings change any logit (else callers may skip {@link #apply}) */
    public boolean active() {
        return control.isActive() || constraint != null;
    }

    /** @return how many tokens the context holds (prompt included) */
    public int length() {
        return length;
    }

    /**
     * Appends a token to the context (an accepted output token, or a draft).
     *
     * @param token the token id
     */
    public void push(int token) {
        if (length == tokens.length) {
            tokens = Arrays.copyOf(tokens, tokens.length * 2);
        }
        tokens[length++] = token;
        if (constraint != null) {
            int generated = length - promptLength;
            if (generated == states.length) {
                states = Arrays.copyOf(states, states.length * 2);
            }
            states[generated] = states[generated - 1].advance(token);
        }
    }

    /**
     * Drops the tokens after the first {@code newLength} (rejected or not yet verified drafts).
     *
     * @param newLength the length to keep, between the prompt's length and the current length
     */
    public void truncate(int newLength) {
        if (newLength < promptLength || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a context of " + length + " tokens (prompt "
                    + promptLength + ") to " + newLength);
        }
        length = newLength;
    }

    /**
     * Penalises the logits of the next position after the current context, in place.
     *
     * @param logits one row of logits over the vocabulary (modified)
     * @return the same array
     */
    public float[] apply(float[] logits) {
        if (!control.isActive()) {
            return constrain(logits);
        }
        int v = logits.length;
        if (seen.length != v) {
            seen = new boolean[v];
            counts = new int[v];
        }
        if (control.repetitionPenalty() != 1) {
            float r = (float) control.repetitionPenalty();
            for (int i = 0; i < length; i++) {
                int t = tokens[i];
                if (t >= 0 && t < v && !seen[t]) {
                    seen[t] = true;
                    logits[t] = logits[t] > 0 ? logits[t] / r : logits[t] * r;
                }
            }
            for (int i = 0; i < length; i++) {
                int t = tokens[i];
                if (t >= 0 && t < v) {
                    seen[t] = false;
                }
            }
        }
        int n = control.noRepeatNgramSize();
        if (n > 0 && length >= n - 1) {
            // the last n-1 tokens are the prefix; every earlier n-gram starting with it bans its last token
            int prefix = length - (n - 1);
            for (int start = 0; start + n <= length; start++) {
                boolean match = true;
                for (int j = 0; j < n - 1 && match; j++) {
                    match = tokens[start + j] == tokens[prefix + j];
                }
                int banned = tokens[start + n - 1];
                if (match && banned >= 0 && banned < v) {
                    logits[banned] = Float.NEGATIVE_INFINITY;
                }
            }
        }
        if (control.presencePenalty() != 0 || control.frequencyPenalty() != 0) {
            for (int i = promptLength; i < length; i++) {
                int t = tokens[i];
                if (t >= 0 && t < v) {
                    counts[t]++;
                }
            }
            for (int i = promptLength; i < length; i++) {
                int t = tokens[i];
                if (t >= 0 && t < v && counts[t] > 0) {
                    logits[t] -= (float) (control.presencePenalty() + control.frequencyPenalty() * counts[t]);
                    counts[t] = 0; // once per id
                }
            }
        }
        return constrain(logits);
    }

    /** The constraint's mask for the position after the context. */
    private float[] constrain(float[] logits) {
        if (constraint != null) {
            int generated = length - promptLength;
            states[generated].mask(logits, Math.max(1, limit - generated));
        }
        return logits;
    }
}
