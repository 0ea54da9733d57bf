package dev.layerskip.generate;

/** What a {@link DecodingPlan} says about a choice the device made for it, beyond the user's and the checkpoint's. */
public enum PlanNote {

    /** Nothing: the plan is what the settings, the checkpoint and the calibration chose. */
    NONE(""),

    /**
     * A GPU model decodes self-speculatively in rounds: the two-thread pipeline the checkpoint's
     * {@code layerskip.json} or the calibration could have chosen is off, as its drafting and verifying threads
     * would queue on one CUDA stream ({@link dev.layerskip.model.DeviceThreads}).
     */
    ROUNDS_ON_GPU("rounds on a GPU: the two-thread pipeline is off there (its drafting and verifying threads would"
            + " queue on one CUDA stream)");

    private final String text;

    PlanNote(String text) {
        this.text = text;
    }

    /** @return the note as a sentence for users, empty for {@link #NONE} */
    public String text() {
        return text;
    }
}
