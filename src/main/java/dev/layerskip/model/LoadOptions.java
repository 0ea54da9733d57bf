package dev.layerskip.model;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

/**
 * How to load a checkpoint.
 *
 * @param device where the weights live ({@code Device.cpu()} or {@code Device.gpu()})
 * @param weightType FLOAT32, FLOAT16 or BFLOAT16 for the projection and embedding weights
 * @param layout how projections are laid out for the products ({@link WeightLayout#AUTO}: packed
 *     for oneDNN on the CPU when it pays)
 */
public record LoadOptions(Device device, DataType weightType, WeightLayout layout) {

    /** FP32 on the CPU, weights laid out automatically. */
    public static final LoadOptions CPU_FLOAT32 = new LoadOptions(Device.cpu(), DataType.FLOAT32);

    /**
     * Options with the {@link WeightLayout#AUTO} layout.
     *
     * @param device where the weights live
     * @param weightType FLOAT32, FLOAT16 or BFLOAT16
     */
    public LoadOptions(Device device, DataType weightType) {
        this(device, weightType, WeightLayout.AUTO);
    }

    /** Validates the fields. */
    public LoadOptions {
        if (device == null) {
            throw new IllegalArgumentException("device must not be null");
        }
        if (layout == null) {
            throw new IllegalArgumentException("weight layout must not be null");
        }
        if (!Ops.isSupportedWeightType(weightType)) {
            throw new IllegalArgumentException("dtype must be float32, float16 or bfloat16, got " + weightType);
        }
    }
}
