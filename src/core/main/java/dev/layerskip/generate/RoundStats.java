package dev.layerskip.generate;

/** Self-speculative counters of one sequence, across its rounds. */
final class RoundStats {
    int rounds;
    int drafted;
    int accepted;
    long draftNanos;
    long verifyNanos;
    int lastDrafted;
    int lastAccepted;

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
}
