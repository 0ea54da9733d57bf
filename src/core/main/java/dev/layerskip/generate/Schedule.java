package dev.layerskip.generate;

/**
 * How the rows of a generator are decoded: one token per pass, self-speculative rounds, or rounds
 * with the two-thread pipeline for a greedy row that is alone.
 */
public enum Schedule {
    /** One token per pass through layers [0, E): autoregressive decoding (E = L) or early exit. */
    STEPS,
    /** Self-speculative draft-verify-accept rounds ({@link SpeculativeRound}), batched across rows. */
    ROUNDS,
    /**
     * Rounds, except that a greedy row decoding alone runs as the two-thread
     * {@link SpeculativePipeline} (drafting and verifying at the same time).
     */
    PIPELINE
}
