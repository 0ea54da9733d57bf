package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;

import java.util.function.Supplier;

/**
 * A projection over a plain [out, in] array: DJL's linear (autograd follows it) or, for BF16 weights, the engine
 * helper's product.
 *
 * @param source where the weight is read at each product
 */
public record PlainProjection(Supplier<NDArray> source) implements Projection {

    @Override
    public NDArray weight() {
        return source.get();
    }

    @Override
    public NDArray apply(NDArray x) {
        NDArray w = source.get(); // [out, in]
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
}
