package dev.layerskip.model;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Int8 projection weights for the CPU (issue 21): quantization at load time and the products' kernel.
 *
 * <p><b>Weights</b>: symmetric per output channel, {@code q = round(w / s)} with {@code s = max|w_row| / 64},
 * clamped to [-64, 64]; a row of zeros gets {@code s = 1}. Symmetric, because the product then needs no weight zero
 * point; per channel, because one scale per tensor lets a single large row flatten all others.
 *
 * <p><b>Products</b>: PyTorch's weight-only int8 kernel ({@code _weight_int8pack_mm}) is 5.6x slower than packed
 * float32 for one row on an AVX2 CPU, so the products run on FBGEMM's int8 GEMM
 * ({@code fbgemm_linear_int8_weight_fp32_activation}), which quantizes its float32 input to unsigned 8 bits. The
 * helper first divides each input row by its own absolute maximum and appends a row holding -1 and 1, so the
 * kernel's per-call range is always [-1, 1]: each row is quantized over its own range, independently of the other
 * rows (integer accumulation is exact, so a verification of d + 1 rows gives the rows of d + 1 single steps bit for
 * bit, and self-speculation stays lossless against the int8 model), and the output is scaled back by the row's
 * maximum and the channel's scale. Weights within [-64, 64] keep AVX2's pairwise 16-bit sums ({@code vpmaddubsw}:
 * two products of at most 255 · 64) from saturating.
 */
public final class Int8Weights {

    /** The largest |q|: 2 · 255 · 64 = 32,640 fits the kernel's 16-bit pairwise sums (32,767). */
    static final long QMAX = 64;
    private static final long ROWS_PER_CHUNK = 4096; // bounds the float32 scratch of quantizing the LM head
    private static volatile Boolean supported;

    private Int8Weights() {}

    /**
     * Refuses int8 where FBGEMM's kernel cannot run, in one line naming what is missing.
     *
     * @param device where the weights would live
     * @throws IllegalArgumentException on a GPU or on a CPU without FBGEMM (it needs AVX2)
     */
    static void requireSupported(Device device) {
        if (device.isGpu()) {
            throw new IllegalArgumentException("dtype int8 runs on the CPU only (FBGEMM's int8 kernel), got " + device);
        }
        if (!supported()) {
            throw new IllegalArgumentException("dtype int8 needs FBGEMM's int8 kernel, which this CPU or PyTorch build"
                    + " cannot run (it needs AVX2); use float32 or bfloat16");
        }
    }

    private static boolean supported() {
        Boolean s = supported;
        if (s == null) {
            try (NDManager probe = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                NDArray w = probe.ones(new Shape(16, 16)); // [out, in]
                NDList q = quantize(w, "probe");
                NDArray y = FusedOps.project(probe.ones(new Shape(1, 1, 16)), new Int8Projection(() -> q.get(0), () -> q.get(1), 16));
                s = Math.abs(y.getFloat(0, 0, 0) - 16f) < 0.5f;
            } catch (EngineException e) {
                s = false; // e.g. "Your CPU doesn't support FBGEMM."
            }
            supported = s;
        }
        return s;
    }

    /**
     * Quantizes a float weight and lays it out for the products.
     *
     * @param w the weight, [out, in], float32, float16 or bfloat16 (not changed)
     * @param name the checkpoint tensor it came from, for messages
     * @return FBGEMM's packed matrix and its [2, out] float32 companion (scales; int8 row sums), in {@code w}'s manager
     * @throws IllegalArgumentException naming the tensor if a value is not finite or a row's scale underflows
     */
    public static NDList quantize(NDArray w, String name) {
        try (NDList rows = quantizeRows(w, name)) {
            return pack(rows.get(0), rows.get(1));
        }
    }

    /**
     * Lays int8 rows out for the products, without quantizing again.
     *
     * @param q the int8 weight, [out, in]
     * @param scales its per-row scales, [out]
     * @return FBGEMM's packed matrix and its [2, out] companion, in {@code q}'s manager
     */
    static NDList pack(NDArray q, NDArray scales) {
        NDList sums = new NDList();
        long rows = q.getShape().get(0);
        try (NDManager scratch = q.getManager().newSubManager()) {
            for (long r = 0; r < rows; r += ROWS_PER_CHUNK) { // a float copy of one chunk at a time, not of q
                NDArray chunk = q.get(r + ":" + Math.min(rows, r + ROWS_PER_CHUNK)); // [n, in] int8
                chunk.attach(scratch);
                NDArray s = EngineOps.int8RowSums(chunk); // [n]
                s.attach(scratch);
                sums.add(s);
            }
            NDArray rowSums = sums.size() == 1 ? sums.get(0) : NDArrays.concat(sums, 0); // [out]
            rowSums.attach(scratch);
            return packWithSums(q, scales, rowSums);
        }
    }

    private static NDList packWithSums(NDArray q, NDArray scales, NDArray rowSums) {
        NDArray[] packed = EngineOps.int8Pack(q, scales, rowSums); // opaque FBGEMM matrix, [2, out]
        NDList out = new NDList(packed[0], packed[1].duplicate()); // an ordinary tensor: it may be edited in place
        packed[1].close();
        out.attach(q.getManager());
        return out;
    }

    /**
     * Rows of a table (embedding look-ups, draft heads' rows): {@code table[ids]}, or for an int8 table
     * {@code q[ids] · s[ids]}.
     *
     * @param table the table, [rows, in]: the weight type, or int8
     * @param int8Scales an int8 table's per-row scales, [rows]; null for any other table
     * @param ids the rows to read, any shape [...]
     * @return [..., in] in the table's type (int8: float32)
     */
    static NDArray rows(NDArray table, NDArray int8Scales, NDArray ids) {
        if (int8Scales == null) {
            return ai.djl.nn.core.Embedding.embedding(ids, table, ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow();
        }
        NDArray q = table; // [rows, in] int8
        NDArray scales = int8Scales; // [rows]
        NDArray picked = ai.djl.nn.core.Embedding.embedding(ids, q, ai.djl.ndarray.types.SparseFormat.DENSE)
                .singletonOrThrow(); // [..., in] int8
        NDArray rowScales = ai.djl.nn.core.Embedding.embedding(ids, scales.reshape(-1, 1),
                ai.djl.ndarray.types.SparseFormat.DENSE).singletonOrThrow(); // [..., 1]
        return picked.toType(DataType.FLOAT32, false).muli(rowScales); // [..., in]
    }

    /**
     * Quantizes a float weight row by row ({@link #QMAX}), a chunk of rows at a time.
     *
     * @param w the weight, [out, in], float32, float16 or bfloat16 (not changed)
     * @param name the checkpoint tensor it came from, for messages
     * @return the int8 rows, [out, in], and their scales, [out], in {@code w}'s manager
     * @throws IllegalArgumentException naming the tensor if a value is not finite or a row's scale underflows
     */
    public static NDList quantizeRows(NDArray w, String name) {
        long rows = w.getShape().get(0);
        NDList qs = new NDList();
        NDList scales = new NDList();
        try (NDManager scratch = w.getManager().newSubManager()) {
            for (long r = 0; r < rows; r += ROWS_PER_CHUNK) {
                NDArray chunk = w.get(r + ":" + Math.min(rows, r + ROWS_PER_CHUNK)).toType(DataType.FLOAT32, false); // [n, in]
                chunk.attach(scratch);
                if (chunk.isInfinite().logicalOr(chunk.isNaN()).any().getBoolean()) {
                    throw new IllegalArgumentException(name + ": holds a non-finite value; it cannot be quantized to int8");
                }
                requireScalesAboveUnderflow(chunk, r, name);
                NDArray[] qAndScale = EngineOps.int8Rows(chunk, QMAX); // [n, in] int8, [n]
                for (NDArray a : qAndScale) {
                    a.attach(scratch);
                }
                qs.add(qAndScale[0]);
                scales.add(qAndScale[1]);
            }
            // The helper's outputs are inference tensors, which refuse in-place edits (a benchmark's forced agreement
            // makes some); a copy, or the join of several chunks, is an ordinary tensor.
            NDList out = new NDList(qs.size() == 1 ? qs.get(0).duplicate() : NDArrays.concat(qs, 0), // [out, in] int8
                    scales.size() == 1 ? scales.get(0).duplicate() : NDArrays.concat(scales, 0)); // [out]
            out.attach(w.getManager());
            return out;
        }
    }

    /**
     * A row of zeros quantizes exactly (scale 1, all q = 0); a row whose largest value is not zero but whose scale
     * {@code max / 64} is below float32's smallest normal number would quantize to zeros and scales that are
     * themselves rounded: refused.
     */
    private static void requireScalesAboveUnderflow(NDArray chunk, long firstRow, String name) {
        float[] max = chunk.abs().max(new int[] {1}).toFloatArray(); // [n]
        for (int i = 0; i < max.length; i++) {
            if (max[i] > 0f && max[i] / QMAX < Float.MIN_NORMAL) {
                throw new IllegalArgumentException(name + ": row " + (firstRow + i) + " has values no larger than " + max[i]
                        + ", so its int8 scale would underflow float32");
            }
        }
    }
}
