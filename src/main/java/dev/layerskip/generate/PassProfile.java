package dev.layerskip.generate;

/**
 * What the passes of self-speculative decoding at one exit E cost on the loaded weights, measured at
 * load by {@link PlanCalibration}: layers [0, E) over one position (the drafter's pass), the draft head,
 * layers [E, L) and the full head over 1 and over {@code rows} positions (verification), and the
 * drafter's and the verifier's passes on two threads at once (the pipeline). Verification of other
 * position counts is interpolated linearly, which is how the products behave on the CPU (each extra row
 * costs about the same).
 *
 * @param rows the larger position count timed, at least 2
 * @param lowerMs ms of layers [0, E) over 1 position
 * @param draftHeadMs ms of the draft head over 1 position
 * @param upperMs ms of layers [E, L) and the full head over 1 position
 * @param upperRowsMs ms of layers [E, L) and the full head over {@code rows} positions
 * @param sharedLowerMs ms of the drafter's pass while the verifier's pass over {@code rows} runs on another thread
 * @param sharedUpperRowsMs ms of the verifier's pass over {@code rows} while the drafter's pass runs on another thread
 * @param calibrationMs how long the measurement took
 */
public record PassProfile(int rows, double lowerMs, double draftHeadMs, double upperMs, double upperRowsMs,
        double sharedLowerMs, double sharedUpperRowsMs, double calibrationMs) {

    /** Validates the values. */
    public PassProfile {
        if (rows < 2) {
            throw new IllegalArgumentException("rows must be >= 2, got " + rows);
        }
        double[] all = {lowerMs, draftHeadMs, upperMs, upperRowsMs, sharedLowerMs, sharedUpperRowsMs, calibrationMs};
        for (double v : all) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("pass costs must be finite and >= 0, got " + v);
            }
        }
    }

    /** @return ms of one autoregressive step: layers [0, L) and the head over one position */
    public double fullStepMs() {
        return lowerMs + upperMs;
    }

    /** @return ms of one draft step: layers [0, E) and the draft head over one position */
    public double draftStepMs() {
        return lowerMs + draftHeadMs;
    }

    /**
     * @param positions positions verified at once, at least 1
     * @return ms of layers [E, L) and the head over them, alone
     */
    public double upper(int positions) {
        if (positions < 1) {
            throw new IllegalArgumentException("positions must be >= 1, got " + positions);
        }
        return upperMs + (upperRowsMs - upperMs) * (positions - 1) / (rows - 1);
    }

    /** @return how much slower the verifier's pass runs beside a drafting thread (at least 1) */
    public double verifierSlowdown() {
        return upperRowsMs == 0 ? 1 : Math.max(1, sharedUpperRowsMs / upperRowsMs);
    }

    /** @return how much slower the drafter's pass runs beside a verifying thread (at least 1) */
    public double drafterSlowdown() {
        return lowerMs == 0 ? 1 : Math.max(1, sharedLowerMs / lowerMs);
    }
}
