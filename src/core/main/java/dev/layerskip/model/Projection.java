package dev.layerskip.model;

import ai.djl.ndarray.NDArray;

import java.util.function.Supplier;

/**
 * A projection weight, [out, in], and how a product with it runs: the layout is the weight's type, not a flag
 * the blocks pass along. {@link PlainProjection} multiplies a plain array (any device, training included);
 * {@link PackedProjection} a oneDNN-packed one ({@link EngineOps#pack}, CPU inference). The blocks hold
 * projections; the fused kernels ({@link FusedOps}) read the weight and its kind from them.
 */
public sealed interface Projection permits PlainProjection, PackedProjection {

    /** @return the weight as the products read it, [out, in] */
    NDArray weight();

    /**
     * {@code x · weightᵀ}: with FLOAT16 or BF16 weights the input is cast down and the result back up, so the
     * residual stream, norms and attention stay in FLOAT32.
     *
     * @param x the input, [..., in]
     * @return the output, [..., out], in the input's type
     */
    NDArray apply(NDArray x);

    /**
     * A projection over a weight that may be set later (a block's parameter, filled by the loader).
     *
     * @param weight where the weight is read at each product
     * @param layout PLAIN or PACKED (resolved)
     * @return the projection of that layout
     */
    static Projection of(Supplier<NDArray> weight, WeightLayout layout) {
        return switch (layout) {
            case PLAIN -> new PlainProjection(weight);
            case PACKED -> new PackedProjection(weight);
            case AUTO -> throw new IllegalArgumentException("a projection needs a resolved layout (PLAIN or PACKED)");
        };
    }
}
