package dev.layerskip.generate;

/**
 * The decoding plan a model decodes with: the user's settings with every choice made (the exit E,
 * the draft length d, rounds or the two-thread pipeline), and how the choices the user and the
 * checkpoint left open were made ({@link PlanCalibration}).
 *
 * @param settings the settings to build generators from
 * @param estimate the calibration's choice and prediction, or null when nothing was left open
 * @param note what the device decided for the plan ({@link PlanNote#ROUNDS_ON_GPU}), else {@link PlanNote#NONE}
 */
public record DecodingPlan(DecodingSettings settings, Estimate estimate, PlanNote note) {

    /** Validates the settings and the note. */
    public DecodingPlan {
        if (settings == null) {
            throw new IllegalArgumentException("settings must not be null");
        }
        if (note == null) {
            throw new IllegalArgumentException("note must not be null (PlanNote.NONE for none)");
        }
    }

    /**
     * A plan the device added nothing to.
     *
     * @param settings the settings to build generators from
     * @param estimate the calibration's choice and prediction, or null when nothing was left open
     */
    public DecodingPlan(DecodingSettings settings, Estimate estimate) {
        this(settings, estimate, PlanNote.NONE);
    }

    /** @return whether the plan was calibrated at load */
    public boolean calibrated() {
        return estimate != null;
    }

    /**
     * What calibration chose, and the speed-ups over autoregressive decoding its cost model predicts.
     *
     * @param numSpeculations the chosen d (rounds: drafts per round; pipeline: how far the drafter runs ahead)
     * @param pipelined whether greedy requests run as the two-thread pipeline
     * @param roundsSpeedup the predicted speed-up of the best rounds plan
     * @param roundsDrafts its d
     * @param pipelineSpeedup the predicted speed-up of the best pipeline plan (0 with one processor)
     * @param pipelineDrafts its d
     * @param acceptance the acceptance assumed
     * @param costs the measured pass costs
     */
    public record Estimate(int numSpeculations, boolean pipelined, double roundsSpeedup, int roundsDrafts,
            double pipelineSpeedup, int pipelineDrafts, double acceptance, PassProfile costs) {

        /** Validates the values. */
        public Estimate {
            if (numSpeculations < 1 || roundsDrafts < 1 || pipelineDrafts < 1) {
                throw new IllegalArgumentException("draft lengths must be >= 1");
            }
            if (costs == null) {
                throw new IllegalArgumentException("costs must not be null");
            }
        }

        /** @return the speed-up predicted for the chosen plan */
        public double predictedSpeedup() {
            return pipelined ? pipelineSpeedup : roundsSpeedup;
        }
    }
}
