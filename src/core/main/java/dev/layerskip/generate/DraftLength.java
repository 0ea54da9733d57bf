package dev.layerskip.generate;

/**
 * How many tokens a self-speculative round drafts.
 *
 * <p>{@link Fixed} is the paper's rule. {@link Confident} ends a draft early when the draft
 * model's top probability falls below a threshold (a draft that unsure is likely rejected).
 * {@link Adaptive} is the automatic setting: it grows the draft by 2 after a round whose drafts
 * were all accepted and shrinks it by 1 after a rejection, between 1 and a maximum, and also ends
 * a draft whose top probability falls below 0.3.
 */
public sealed interface DraftLength {

    /** @return the most tokens one round may draft */
    int max();

    /** @return end a draft whose top probability is below this (0: never end early) */
    default double stopBelow() {
        return 0;
    }

    /**
     * The draft length of the next round.
     *
     * @param current this round's draft limit
     * @param drafted how many tokens this round drafted
     * @param accepted how many of them were accepted
     * @return the next round's draft limit
     */
    default int next(int current, int drafted, int accepted) {
        return current;
    }

    /**
     * A fixed number of drafts per round.
     *
     * @param max the number of drafts d ≥ 1
     */
    record Fixed(int max) implements DraftLength {
        /** Validates d. */
        public Fixed {
            checkMax(max);
        }
    }

    /**
     * Up to {@code max} drafts, stopping after a draft whose top probability is below the threshold.
     *
     * @param max the most drafts per round
     * @param threshold the confidence in (0, 1)
     */
    record Confident(int max, double threshold) implements DraftLength {
        /** Validates the values. */
        public Confident {
            checkMax(max);
            checkThreshold(threshold);
        }

        @Override
        public double stopBelow() {
            return threshold;
        }
    }

    /**
     * The automatic setting: the draft length follows the acceptance of the previous round.
     *
     * @param max the largest draft length
     */
    record Adaptive(int max) implements DraftLength {
        /** The confidence below which an adaptive draft stops early. */
        public static final double THRESHOLD = 0.3;

        /** Validates the maximum. */
        public Adaptive {
            checkMax(max);
        }

        @Override
        public double stopBelow() {
            return THRESHOLD;
        }

        @Override
        public int next(int current, int drafted, int accepted) {
            return accepted == drafted && drafted == current ? Math.min(max, current + 2) : Math.max(1, current - 1);
        }
    }

    private static void checkMax(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("num_speculations must be >= 1, got " + max);
        }
    }

    private static void checkThreshold(double threshold) {
        if (!(threshold > 0 && threshold < 1)) {
            throw new IllegalArgumentException("draft_confidence must be in (0, 1), got " + threshold);
        }
    }
}
