package dev.layerskip.generate;

/** Self-speculative counters of one sequence, across its rounds; only {@link #record} changes them. */
final class RoundStats {
    private int rounds;
    private int drafted;
    private int accepted;
    private long draftNanos;
    private long verifyNanos;
    private int lastDrafted;
    private int lastAccepted;

    /**
     * Records one round.
     *
     * @param d the drafts of the round
     * @param k how many were accepted
     * @param draft the round's drafting time
     * @param verify the round's verification time
     */
    void record(int d, int k, long draft, long verify) {
        rounds++;
        drafted += d;
        accepted += k;
        draftNanos += draft;
        verifyNanos += verify;
        lastDrafted = d;
        lastAccepted = k;
    }

    /**
     * The next round's draft length under a policy, from the last round's outcome.
     *
     * @param policy the draft-length policy
     * @param current this round's draft length
     * @return the next round's
     */
    int nextDrafts(DraftLength policy, int current) {
        return policy.next(current, lastDrafted, lastAccepted);
    }

    /**
     * The sequence's statistics with these counters.
     *
     * @param promptTokens prompt length
     * @param generatedTokens tokens generated
     * @param prefillNanos prefill time
     * @param decodeNanos decoding time
     * @return the statistics
     */
    GenerationStats toStats(int promptTokens, int generatedTokens, long prefillNanos, long decodeNanos) {
        return new GenerationStats(promptTokens, generatedTokens, prefillNanos, decodeNanos, rounds, drafted, accepted,
                draftNanos, verifyNanos);
    }
}
