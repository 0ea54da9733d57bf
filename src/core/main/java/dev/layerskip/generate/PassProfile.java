package dev.layerskip.generate;

/**
 * What the passes of self-speculative decoding at one exit E cost on the loaded weights, measured at
 * load by {@link PlanCalibration}: layers [0, E) over one position (the drafter's pass), the draft head,
 * layers [E, L) and the full head over 1 and over {@code rows} positions (verification), and how much
 * a layer slows down when the pipeline's two threads run at once. Verification of other
 * position counts is interpolated linearly, which is how the products behave on the CPU (each extra row
 * costs about the same).
 *
 * @param rows the larger position count timed, at least 2
 * @param lowerMs ms of layers [0, E) over 1 position
 * @param draftHeadMs ms of the draft head over 1 position
 * @param upperMs ms of layers [E, L) and the full head over 1 position
 * @param upperRowsMs ms of layers [E, L) and the full head over {@code rows} positions
 * @param drafterSlowdown how much slower a one-position layer runs while another thread runs one over {@code rows}, ≥ 1
 * @param verifierSlowdown how much slower a layer over {@code rows} runs while another thread runs a one-position one, ≥ 1
 * @param calibrationMs how long the measurement took
 */
public record PassProfile(int rows, double lowerMs, double draftHeadMs, double upperMs, double upperRowsMs,
        double drafterSlowdown, double verifierSlowdown, double calibrationMs) {

    /** Validates the values. */
    public PassProfile {
        if (rows < 2) {
            throw new IllegalArgumentException("rows must be >= 2, got " + rows);
        }
        double[] all = {lowerMs, draftHeadMs, upperMs, upperRowsMs, calibrationMs};
        for (double v : all) {
            if (!(v >= 0) || Double.isInfinite(v)) {
                throw new IllegalArgumentException("pass costs must be finite and >= 0, got " + v);
            }
        }
        if (!(drafterSlowdown >= 1) || !(verifierSlowdown >= 1) || Double.isInfinite(drafterSlowdown + verifierSlowdown)) {
            throw new IllegalArgumentException("slowdowns must be finite and >= 1, got " + drafterSlowdown + ", " + verifierSlowdown);
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

}
