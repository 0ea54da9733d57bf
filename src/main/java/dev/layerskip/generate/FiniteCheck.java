package dev.layerskip.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * The decoding guard against silent garbage: logits that hold NaN or an infinity stop the generation
 * with a {@link NonFiniteLogitsException} instead of turning into token 0 forever.
 *
 * <p>The check runs on the device and costs one reduction and one scalar read per call: the sum of
 * the logits is finite exactly when every logit is finite, unless the sum overflows, which only the
 * rare suspicious case pays to rule out with an exact count.
 */
public final class FiniteCheck {

    private FiniteCheck() {}

    /**
     * Refuses logits that are not all finite.
     *
     * @param logits the logits of any shape; not modified or closed
     * @param where what produced them, for the message (e.g. "exit layer 4")
     * @throws NonFiniteLogitsException if any logit is NaN or infinite
     */
    public static void requireFinite(NDArray logits, String where) {
        if (allFinite(logits)) {
            return;
        }
        throw new NonFiniteLogitsException("the model produced non-finite logits (NaN or infinity) at " + where
                + "; the checkpoint's weights or config.json (rms_norm_eps, rope settings) are damaged");
    }

    /**
     * Whether every value is finite.
     *
     * @param values any floating-point array; not modified or closed
     * @return true when no value is NaN or infinite
     */
    public static boolean allFinite(NDArray values) {
        try (NDArray sum = values.sum(); NDArray sum32 = sum.toType(DataType.FLOAT32, false)) {
            if (Float.isFinite(sum32.getFloat())) {
                return true;
            }
        }
        try (NDArray nan = values.isNaN();
                NDArray inf = values.isInfinite();
                NDArray bad = nan.logicalOr(inf);
                NDArray any = bad.any()) {
            return !any.getBoolean();
        }
    }
}
