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
 * <p>The cos/sin tables of the first {@value #TABLE_POSITIONS} positions (or the whole context, if shorter)
 * and the rotation matrix are computed once (angles in double precision, on the engine), so applying RoPE
 * costs four tensor operations: {@code x·cos + (x·R)·sin}, where {@code x·R} is {@code rotate_half(x)}.
 * Positions beyond the table are computed for the pass that needs them, the same way: a 131,072-position
 * model does not hold 67 MB of tables that most generations never read.
 */
public final class Rope {

    /** Positions whose cos/sin rows are kept (8 MB for a 128-wide head); later ones are computed per pass. */
    static final int TABLE_POSITIONS = 8192;

    private final NDArray inverse; // [1, headDim/2] float64
    private final NDArray cos; // [tablePositions, headDim]
    private final NDArray sin; // [tablePositions, headDim]
    private final NDArray rotateHalf; // [headDim, headDim]
    private final NDArray halfSign; // [headDim]: -1 then +1, rotate_half as a signed roll
    private final int maxPositions;
    private final int tablePositions;

    /**
     * Builds the tables.
     *
     * @param manager the model's manager, which owns the tables
     * @param config the model configuration
     */
    public Rope(NDManager manager, LlamaConfig config) {
        int d = config.headDim();
        maxPositions = config.maxPositions();
        tablePositions = Math.min(maxPositions, TABLE_POSITIONS);
        inverse = manager.create(inverseFrequencies(config)).reshape(1, -1); // [1, d/2] float64
        try (NDManager scratch = manager.newSubManager()) {
            NDArray positions = scratch.arange(0, tablePositions, 1, DataType.INT64); // [P]
            NDArray[] tables = computed(positions, new Shape(tablePositions, d)); // each [P, d]
            cos = tables[0];
            sin = tables[1];
            cos.attach(manager);
            sin.attach(manager);
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

    /**
     * cos and sin of {@code p · invFreq} in double precision, rounded to float32, each value for both halves
     * of a head; the arrays belong to {@code positions}' manager.
     *
     * @param positions INT64 positions, any shape with {@code shape.head()} elements in all
     * @param shape the shape to give each table, e.g. [rows, length, 1, headDim]
     * @return {cos, sin}
     */
    private NDArray[] computed(NDArray positions, Shape shape) {
        NDArray angles = positions.toType(DataType.FLOAT64, false).reshape(-1, 1).mul(inverse); // [n, d/2]
        return new NDArray[] {bothHalves(angles.cos()).reshape(shape), bothHalves(angles.sin()).reshape(shape)};
    }

    private static NDArray bothHalves(NDArray half) {
        NDArray single = half.toType(DataType.FLOAT32, false); // [n, d/2]
        return single.concat(single, 1); // [n, d]
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
     * The tables for positions {@code start .. start+length-1} (sliced, or computed past the kept rows), shaped
     * to broadcast over [batch, seq, heads, headDim].
     *
     * @param manager the pass's manager, which owns computed tables
     * @param start the first position
     * @param length the number of positions
     * @return {cos, sin}, each [1, length, 1, headDim]
     */
    NDArray[] tables(NDManager manager, int start, int length) {
        Shape shape = new Shape(1, length, 1, cos.getShape().get(1));
        if ((long) start + length > tablePositions) {
            return computed(manager.arange(start, start + length, 1, DataType.INT64), shape);
        }
        NDIndex rows = new NDIndex().addSliceDim(start, start + length);
        return new NDArray[] {cos.get(rows).reshape(shape), sin.get(rows).reshape(shape)};
    }

    /**
     * The tables of arbitrary positions, one row of positions per batch row.
     *
     * @param positions [rows, length] INT64 positions, each below {@link #maxPositions()}
     * @param end one past the largest of them
     * @return {cos, sin}, each [rows, length, 1, headDim]
     */
    NDArray[] tables(NDArray positions, int end) {
        Shape p = positions.getShape(); // [rows, length]
        Shape shape = new Shape(p.get(0), p.get(1), 1, cos.getShape().get(1));
        if (end > tablePositions) {
            return computed(positions, shape);
        }
        NDIndex gather = new NDIndex("{}", positions);
        return new NDArray[] {cos.get(gather).reshape(shape), sin.get(gather).reshape(shape)};
    }

    /**
     * Rotates queries or keys.
     *
     * @param x [batch, seq, heads, headDim]
     * @param tables the {@link #tables(NDManager, int, int)} of the positions of x
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
