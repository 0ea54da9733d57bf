package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import java.util.function.Supplier;

/**
 * A projection weight, [out, in], and how a product with it runs: the layout is the weight's type, not a flag
 * the blocks pass along. {@link PlainProjection} multiplies a plain array (any device, training included);
 * {@link PackedProjection} a oneDNN-packed one ({@link EngineOps#pack}, CPU inference); {@link Int8Projection}
 * an int8 one in FBGEMM's packed form (per-output-channel scales, CPU inference). The blocks hold
 * projections; the fused kernels ({@link FusedOps}) read the weight and its kind from them.
 */
public sealed interface Projection permits PlainProjection, PackedProjection, Int8Projection {

    /** @return the weight as the products read it, [out, in] (int8: FBGEMM's opaque matrix) */
    NDArray weight();

    /** @return the product's shape, [out, in] */
    default Shape shape() {
        return weight().getShape();
    }

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
     * @param layout PLAIN or PACKED (resolved; INT8 needs {@link #of(Supplier, Supplier, WeightLayout)})
     * @return the projection of that layout
     */
    static Projection of(Supplier<NDArray> weight, WeightLayout layout) {
        return of(weight, () -> {
            throw new IllegalStateException("an int8 projection was built without its scales");
        }, 0, layout);
    }

    /**
     * A projection over a weight and, for {@link WeightLayout#INT8}, its scales, both set later by the loader.
     *
     * @param weight where the weight is read at each product (for INT8: FBGEMM's packed int8 matrix)
     * @param int8Scales for INT8 only: where its [2, out] float32 companion is read (per-channel scale, row sums)
     * @param inFeatures for INT8 only: the input features (FBGEMM's matrix does not tell)
     * @param layout PLAIN, PACKED or INT8 (resolved)
     * @return the projection of that layout
     */
    static Projection of(Supplier<NDArray> weight, Supplier<NDArray> int8Scales, long inFeatures, WeightLayout layout) {
        return switch (layout) {
            case PLAIN -> new PlainProjection(weight);
            case PACKED -> new PackedProjection(weight);
            case INT8 -> new Int8Projection(weight, int8Scales, inFeatures);
            case AUTO -> throw new IllegalArgumentException("a projection needs a resolved layout (PLAIN, PACKED or INT8)");
        };
    }
}
