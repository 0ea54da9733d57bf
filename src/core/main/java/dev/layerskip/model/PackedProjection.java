package dev.layerskip.model;

import ai.djl.ndarray.NDArray;

import java.util.function.Supplier;

/**
 * A projection over a oneDNN-packed weight ({@link EngineOps#pack}; CPU, inference only): one native call casts the
 * input down, multiplies and casts back.
 *
 * @param source where the packed weight is read at each product
 */
public record PackedProjection(Supplier<NDArray> source) implements Projection {

    @Override
    public NDArray weight() {
        return source.get();
    }

    @Override
    public NDArray apply(NDArray x) {
        return EngineOps.linearPacked(x, source.get()); // [..., out]
    }
}
