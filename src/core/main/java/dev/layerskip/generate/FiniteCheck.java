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
        throw failure(where);
    }

    /**
     * The error for non-finite logits.
     *
     * @param where what produced them, for the message
     * @return the exception, naming where and what to suspect
     */
    public static NonFiniteLogitsException failure(String where) {
        return new NonFiniteLogitsException("the model produced non-finite logits (NaN or infinity) at " + where
                + "; the checkpoint's weights or config.json (rms_norm_eps, rope settings) are damaged");
    }

    /**
     * Which positions of a batch have only finite logits: one sum per position on the device, and the
     * exact test only where a sum is not finite (a sum can overflow on finite values).
     *
     * @param logits [rows, seq, vocab]; not modified or closed
     * @return rows·seq flags, row-major
     */
    public static boolean[] finitePositions(NDArray logits) {
        float[] sums;
        try (NDArray sum = logits.sum(new int[] {2}); NDArray sum32 = sum.toType(DataType.FLOAT32, false)) {
            sums = sum32.toFloatArray(); // [rows, seq]
        }
        boolean[] out = new boolean[sums.length];
        boolean allGood = true;
        for (int i = 0; i < sums.length; i++) {
            out[i] = Float.isFinite(sums[i]);
            allGood &= out[i];
        }
        if (allGood) {
            return out;
        }
        try (NDArray nan = logits.isNaN();
                NDArray inf = logits.isInfinite();
                NDArray bad = nan.logicalOr(inf);
                NDArray any = bad.max(new int[] {2})) {
            boolean[] badPositions = any.toBooleanArray(); // [rows, seq]
            for (int i = 0; i < out.length; i++) {
                out[i] = !badPositions[i];
            }
        }
        return out;
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
