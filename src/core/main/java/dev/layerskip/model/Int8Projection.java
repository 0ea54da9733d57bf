package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

import java.util.function.Supplier;

/**
 * An int8 projection: the weight quantized symmetrically per output channel and laid out once for FBGEMM's
 * int8 product, with a [2, out] float32 companion (row 0: each channel's scale; row 1: each channel's sum of
 * int8 values, which FBGEMM needs to undo the activations' zero point). Each input row is quantized on the fly
 * to 8 bits over its own absolute maximum, so a row's result never depends on the other rows of the call:
 * verifying d + 1 positions gives bit for bit the rows that d + 1 one-row steps give (see {@link Int8Weights}).
 *
 * @param packed the packed int8 matrix (an opaque FBGEMM object held by a tensor)
 * @param scales the [2, out] companion
 * @param inFeatures the input features
 */
public record Int8Projection(Supplier<NDArray> packed, Supplier<NDArray> scales, long inFeatures) implements Projection {

    /** @return [out, in] */
    @Override
    public Shape shape() {
        return new Shape(scales.get().getShape().get(1), inFeatures);
    }

    /** @return FBGEMM's packed matrix (opaque: its shape is not [out, in]) */
    @Override
    public NDArray weight() {
        return packed.get();
    }

    @Override
    public NDArray apply(NDArray x) {
        return FusedOps.project(x, this); // [..., out]
    }
}
