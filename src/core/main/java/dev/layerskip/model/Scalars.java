package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Arithmetic with a scalar that is safe under autograd.
 *
 * <p>DJL's {@code NDArray.mul(Number)}, {@code div(Number)} and {@code pow(Number)} wrap the number in
 * a tensor over a Java direct buffer and close it right after the operation. Autograd keeps that
 * tensor for the backward pass (the gradient of {@code x·s} needs {@code s}), but once the Java side
 * is closed the garbage collector may free the buffer: the backward pass then reads freed memory. That
 * was the root cause of training's rare non-finite gradients and run-to-run differences (a GC between
 * forward and backward). These helpers make the scalar with {@code NDManager.full}, whose memory
 * PyTorch allocates and reference-counts, so the saved tensor stays valid. Use them for every scalar
 * in code that may run with gradients.
 */
public final class Scalars {

    private Scalars() {}

    /**
     * A 0-d tensor of x's type and device, in memory PyTorch owns.
     *
     * @param like the array whose manager, type and device to use
     * @param value the value
     * @return the scalar tensor, attached to like's manager
     */
    public static NDArray of(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType());
    }

    /**
     * @param x the array
     * @param s the factor
     * @return {@code x · s}
     */
    public static NDArray mul(NDArray x, double s) {
        return x.mul(of(x, s));
    }

    /**
     * @param x the array
     * @param s the divisor
     * @return {@code x / s}
     */
    public static NDArray div(NDArray x, double s) {
        return x.div(of(x, s));
    }

    /**
     * @param x the array
     * @param exponent the exponent
     * @return {@code x ^ exponent}
     */
    public static NDArray pow(NDArray x, double exponent) {
        return x.pow(of(x, exponent));
    }
}
