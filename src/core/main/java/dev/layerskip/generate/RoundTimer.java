package dev.layerskip.generate;

/**
 * Times a self-speculative round's two phases, drafting and verification (acceptance included), for
 * {@link RoundStats}; the algorithm only marks where verification starts.
 */
final class RoundTimer {

    private final long draftNanos; // -1 while drafting on this thread
    private final long started;
    private long verifying;

    private RoundTimer(long draftNanos, long now) {
        this.draftNanos = draftNanos;
        this.started = now;
        this.verifying = draftNanos < 0 ? 0 : now;
    }

    /** @return a timer whose drafting phase starts now, on this thread */
    static RoundTimer drafting() {
        return new RoundTimer(-1, System.nanoTime());
    }

    /**
     * A timer for drafts made on another thread: verification starts now.
     *
     * @param draftNanos how long the drafts took there
     * @return the timer
     */
    static RoundTimer verifyingDraftsOf(long draftNanos) {
        return new RoundTimer(draftNanos, System.nanoTime());
    }

    /** Marks the end of drafting and the start of verification (the pass that feeds the last drafts counts as verification). */
    void verificationStarts() {
        verifying = System.nanoTime();
    }

    /** @return the drafting phase's nanoseconds */
    long draftNanos() {
        return draftNanos >= 0 ? draftNanos : verifying - started;
    }

    /** @return the verification phase's nanoseconds, up to now */
    long verifyNanos() {
        return System.nanoTime() - verifying;
    }
}
