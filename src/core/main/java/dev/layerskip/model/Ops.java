package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;

/** Small tensor compositions DJL lacks, shared by the blocks of the model. */
final class Ops {

    private Ops() {}

    /**
     * {@code x · wᵀ}. With FLOAT16 or BF16 weights the input is cast down and the result back up,
     * so the residual stream, norms and attention stay in FLOAT32.
     *
     * @param x the input, [..., in]
     * @param w the weight, [out, in]
     * @param packed whether w was laid out by {@link EngineOps#pack}
     * @return the output, [..., out], in the input's type
     */
    static NDArray linear(NDArray x, NDArray w, boolean packed) {
        if (packed) {
            return EngineOps.linearPacked(x, w); // one native call: cast down, multiply, cast back
        }
        if (EngineOps.isBf16(w)) {
            return EngineOps.linear(x, w);
        }
        if (w.getDataType() == x.getDataType()) {
            return Linear.linear(x, w).singletonOrThrow();
        }
        NDArray xw = x.toType(w.getDataType(), false); // [..., in]
        NDArray y = Linear.linear(xw, w).singletonOrThrow(); // [..., out]
        return y.toType(x.getDataType(), false);
    }

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
