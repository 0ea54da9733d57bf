package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;

/** Small tensor compositions DJL lacks, shared by the blocks of the model. */
final class Ops {

    private Ops() {}

    /**
     * SiLU (swish with β = 1): {@code x · sigmoid(x)}.
     *
     * @param x the input
     * @return the activation, same shape
     */
    static NDArray silu(NDArray x) {
        return Activation.sigmoid(x).mul(x);
    }

    /**
     * @param dtype a data type
     * @return whether it is FLOAT32, FLOAT16 or BFLOAT16, the weight types the model runs
     */
    static boolean isSupportedWeightType(DataType dtype) {
        return dtype == DataType.FLOAT32 || dtype == DataType.FLOAT16 || dtype == DataType.BFLOAT16;
    }
}
