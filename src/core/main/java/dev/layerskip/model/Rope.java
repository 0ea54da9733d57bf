package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.RopeScaling;

/**
 * Rotary position embeddings in Hugging Face's "rotate half" layout, with default, linear and
 * llama3 frequency scaling.
 *
 * <p>The cos/sin tables for every position up to the context length and the rotation matrix are
 * computed once (angles in double precision, on the engine), so applying RoPE costs four tensor operations:
 * {@code x·cos + (x·R)·sin}, where {@code x·R} is {@code rotate_half(x)}.
 */
public final class Rope {

    private final NDArray cos; // [maxPositions, headDim]
    private final NDArray sin; // [maxPositions, headDim]
    private final NDArray rotateHalf; // [headDim, headDim]
    private final NDArray halfSign; // [headDim]: -1 then +1, rotate_half as a signed roll
    private final int maxPositions;

    /**
     * Builds the tables.
     *
     * @param manager the model's manager, which owns the tables
     * @param config the model configuration
     */
    public Rope(NDManager manager, LlamaConfig config) {
        int d = config.headDim();
        maxPositions = config.maxPositions();
        // Angles in double precision on the engine (no Java copy of the tables): p · invFreq, as Java would compute it.
        try (NDManager scratch = manager.newSubManager()) {
            NDArray positions = scratch.arange(0, maxPositions, 1, DataType.FLOAT64).reshape(-1, 1); // [P, 1]
            NDArray inv = scratch.create(inverseFrequencies(config)).reshape(1, -1); // [1, d/2] float64
            NDArray angles = positions.mul(inv); // [P, d/2]
            cos = table(angles.cos(), manager); // [P, d]
            sin = table(angles.sin(), manager); // [P, d]
        }
        // rotate_half(x) = cat(-x[d/2:], x[:d/2]) = x · R
        float[] r = new float[d * d];
        for (int j = 0; j < d / 2; j++) {
            r[(j + d / 2) * d + j] = -1f;
            r[j * d + j + d / 2] = 1f;
        }
        rotateHalf = manager.create(r, new Shape(d, d));
        float[] sign = new float[d];
        for (int j = 0; j < d; j++) {
            sign[j] = j < d / 2 ? -1f : 1f;
        }
        halfSign = manager.create(sign);
    }

    /** A half table of float64 values as the float32 table, each value for both halves of a head: [P, d]. */
    private static NDArray table(NDArray half, NDManager owner) {
        NDArray single = half.toType(DataType.FLOAT32, false); // [P, d/2]
        NDArray both = single.concat(single, 1); // [P, d]
        both.attach(owner);
        return both;
    }

    /**
     * The per-pair inverse frequencies after {@code rope_scaling}.
     *
     * @param config the model configuration
     * @return headDim/2 inverse frequencies
     */
    public static double[] inverseFrequencies(LlamaConfig config) {
        int d = config.headDim();
        RopeScaling scaling = config.ropeScaling();
        double[] inv = new double[d / 2];
        for (int i = 0; i < d / 2; i++) {
            double f = 1.0 / Math.pow(config.ropeTheta(), (2.0 * i) / d);
            switch (scaling.type()) {
                case DEFAULT -> inv[i] = f;
                case LINEAR -> inv[i] = f / scaling.factor();
                case LLAMA3 -> {
                    double orig = scaling.originalMaxPositions();
                    double lowWavelen = orig / scaling.lowFreqFactor();
                    double highWavelen = orig / scaling.highFreqFactor();
                    double wavelen = 2 * Math.PI / f;
                    if (wavelen < highWavelen) {
                        inv[i] = f;
                    } else if (wavelen > lowWavelen) {
                        inv[i] = f / scaling.factor();
                    } else {
                        double smooth = (orig / wavelen - scaling.lowFreqFactor())
                                / (scaling.highFreqFactor() - scaling.lowFreqFactor());
                        inv[i] = (1 - smooth) * f / scaling.factor() + smooth * f;
                    }
                }
                default -> throw new IllegalStateException("unreachable rope type " + scaling.type());
            }
        }
        return inv;
    }

    /** @return the number of positions the tables cover */
    public int maxPositions() {
        return maxPositions;
    }

    /**
     * Slices the tables for positions {@code start .. start+length-1}, shaped to broadcast over
     * [batch, seq, heads, headDim].
     *
     * @param start the first position
     * @param length the number of positions
     * @return {cos, sin}, each [1, length, 1, headDim]
     */
    NDArray[] tables(int start, int length) {
        NDIndex rows = new NDIndex().addSliceDim(start, start + length);
        Shape shape = new Shape(1, length, 1, cos.getShape().get(1));
        return new NDArray[] {cos.get(rows).reshape(shape), sin.get(rows).reshape(shape)};
    }

    /**
     * Gathers the tables of arbitrary positions, one row of positions per batch row.
     *
     * @param positions [rows, length] INT64 positions, each below {@link #maxPositions()}
     * @return {cos, sin}, each [rows, length, 1, headDim]
     */
    NDArray[] tables(NDArray positions) {
        Shape p = positions.getShape(); // [rows, length]
        Shape shape = new Shape(p.get(0), p.get(1), 1, cos.getShape().get(1));
        NDIndex gather = new NDIndex("{}", positions);
        return new NDArray[] {cos.get(gather).reshape(shape), sin.get(gather).reshape(shape)};
    }

    /**
     * Rotates queries or keys.
     *
     * @param x [batch, seq, heads, headDim]
     * @param tables the {@link #tables(int, int)} of the positions of x
     * @param path FUSED (one helper call) or AUTOGRAD (DJL operations)
     * @return the rotated x, same shape
     */
    NDArray apply(NDArray x, NDArray[] tables, ForwardPath path) {
        if (path == ForwardPath.FUSED) {
            return FusedOps.rope(x, tables[0], tables[1], halfSign); // one call; the tables broadcast over batch and heads
        }
        NDArray rotated = x.matMul(rotateHalf); // [batch, seq, heads, headDim]
        return x.mul(tables[0]).add(rotated.mul(tables[1]));
    }
}
