package dev.layerskip.generate;

/**
 * What a {@link BatchScheduler} or a {@link RollingBatch} needs to decode a generator's rows: the
 * exit layer, the draft scorer and draft length of self-speculation, and the schedule. Every
 * {@link Generator} states its plan, so nothing downstream inspects generator classes.
 *
 * @param exitLayer E: the last layer of every step (STEPS) or of every draft (ROUNDS, PIPELINE)
 * @param drafter how drafts are scored; null for STEPS
 * @param draftLength the draft policy (its maximum is how far the pipeline's drafter runs ahead); null for STEPS
 * @param schedule how rows are decoded
 */
public record BatchPlan(int exitLayer, DraftScorer drafter, DraftLength draftLength, Schedule schedule) {

    /** Validates that drafting is configured exactly for the speculative schedules. */
    public BatchPlan {
        if (schedule == null) {
            throw new IllegalArgumentException("schedule must not be null");
        }
        if (exitLayer < 1) {
            throw new IllegalArgumentException("exit layer must be >= 1, got " + exitLayer);
        }
        boolean speculative = schedule != Schedule.STEPS;
        if (speculative != (drafter != null) || speculative != (draftLength != null)) {
            throw new IllegalArgumentException("a " + schedule + " plan needs a drafter and a draft length exactly when it"
                    + " is speculative (drafter " + drafter + ", draft length " + draftLength + ")");
        }
    }

    /**
     * @param exitLayer E in 1..L
     * @return one token per pass through [0, E)
     */
    public static BatchPlan steps(int exitLayer) {
        return new BatchPlan(exitLayer, null, null, Schedule.STEPS);
    }

    /** @return whether rows draft and verify */
    public boolean speculative() {
        return schedule != Schedule.STEPS;
    }

    /** @return whether a greedy row decoding alone runs as the two-thread pipeline */
    public boolean pipelined() {
        return schedule == Schedule.PIPELINE;
    }

    /**
     * Which rows may share a batch: same exit layer, both speculative or both not, and the same draft
     * head size (a model builds one draft head per size). Rounds and pipeline rows share batches.
     *
     * @return the key
     */
    public Key batchKey() {
        return new Key(speculative(), exitLayer, drafter == null ? 0 : drafter.size());
    }

    /**
     * Rows with equal keys decode in one batch.
     *
     * @param speculative whether rows draft and verify
     * @param exitLayer E
     * @param draftSize the draft head's size (0 for STEPS)
     */
    public record Key(boolean speculative, int exitLayer, int draftSize) {}
}
