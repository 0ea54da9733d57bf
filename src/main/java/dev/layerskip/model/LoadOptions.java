package dev.layerskip.model;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

/**
 * How to load a checkpoint.
 *
 * @param device where the weights live ({@code Device.cpu()} or {@code Device.gpu()})
 * @param weightType FLOAT32 or FLOAT16 for the projection and embedding weights
 */
public record LoadOptions(Device device, DataType weightType) {

    /** FP32 on the CPU. */
    public static final LoadOptions CPU_FLOAT32 = new LoadOptions(Device.cpu(), DataType.FLOAT32);

    /** Validates the type. */
    public LoadOptions {
        if (device == null) {
            throw new IllegalArgumentException("device must not be null");
        }
        if (!Ops.isSupportedWeightType(weightType)) {
            throw new IllegalArgumentException("dtype must be float32 or float16, got " + weightType);
        }
    }
}
