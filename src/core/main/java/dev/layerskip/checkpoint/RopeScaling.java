package dev.layerskip.checkpoint;

/**
 * The {@code rope_scaling} entry of a Llama {@code config.json}.
 *
 * @param type the scaling rule
 * @param factor the scaling factor (1 for {@link RopeType#DEFAULT})
 * @param lowFreqFactor llama3 only: {@code low_freq_factor}
 * @param highFreqFactor llama3 only: {@code high_freq_factor}
 * @param originalMaxPositions llama3 only: {@code original_max_position_embeddings}
 */
public record RopeScaling(
        RopeType type,
        double factor,
        double lowFreqFactor,
        double highFreqFactor,
        int originalMaxPositions) {

    /** No scaling: the plain rotary embedding. */
    public static final RopeScaling NONE = new RopeScaling(RopeType.DEFAULT, 1, 0, 0, 0);

    /** The largest scaling factor accepted. */
    public static final double MAX_FACTOR = 1e4;

    /** Validates the fields for the chosen type. */
    public RopeScaling {
        if (type == null) {
            throw new IllegalArgumentException("rope_scaling type must not be null");
        }
        if (!(factor > 0 && factor <= MAX_FACTOR)) {
            throw new IllegalArgumentException("rope_scaling.factor must be > 0, got " + factor);
        }
        if (type == RopeType.LLAMA3) {
            if (!(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || !Double.isFinite(highFreqFactor)) {
                throw new IllegalArgumentException(
                        "rope_scaling llama3 needs 0 < low_freq_factor < high_freq_factor, got "
                                + lowFreqFactor
                                + " and "
                                + highFreqFactor);
            }
            if (originalMaxPositions < 1) {
                throw new IllegalArgumentException(
                        "rope_scaling.original_max_position_embeddings must be >= 1, got "
                                + originalMaxPositions);
            }
        }
    }
}
