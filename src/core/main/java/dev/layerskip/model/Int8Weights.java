package dev.layerskip.model;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
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
    private static final long ROWS_PER_CHUNK = 1024; // bounds the float32 scratch of quantizing the LM head
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
                if (e.getMessage() == null || !e.getMessage().contains("FBGEMM")) {
                    throw e; // not the kernel missing (e.g. the helper failing): say what failed
                }
                s = false; // "Your CPU does not support FBGEMM.", or a build without FBGEMM
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
        try (NDList rows = quantizeRows(w, name, true)) {
            return packWithSums(rows.get(0), rows.get(1), rows.get(2));
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
        long rows = q.getShape().get(0);
        try (NDArray rowSums = q.getManager().zeros(new Shape(rows), DataType.FLOAT32)) { // [out]
            for (long r = 0; r < rows; r += ROWS_PER_CHUNK) { // a float copy of one chunk at a time, not of q
                String range = r + ":" + Math.min(rows, r + ROWS_PER_CHUNK);
                try (NDArray chunk = q.get(range); // [n, in] int8
                        NDArray sums = EngineOps.int8RowSums(chunk)) { // [n]
                    rowSums.set(new NDIndex(range), sums);
                }
            }
            return packWithSums(q, scales, rowSums);
        }
    }

    /**
     * Packs int8 rows whose row sums are known.
     *
     * @param q the int8 weight, [out, in]
     * @param scales its per-row scales, [out]
     * @param rowSums each row's sum of q, [out] float32
     * @return FBGEMM's packed matrix and its [2, out] companion, in {@code q}'s manager
     */
    static NDList packWithSums(NDArray q, NDArray scales, NDArray rowSums) {
        NDArray[] packed = EngineOps.int8Pack(q, scales, rowSums); // opaque FBGEMM matrix, [2, out]
        NDList out = new NDList(packed[0], packed[1]);
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
        return quantizeRows(w, name, false);
    }

    /**
     * Quantizes a float weight a chunk of rows at a time, each chunk widened to float32 by the helper in one pass and
     * written into the final arrays (allocated once, so quantizing holds one chunk's float copy besides the result).
     *
     * @param withSums whether to return each row's sum of q as well (FBGEMM's packing needs it)
     * @return the int8 rows, [out, in]; their scales, [out]; with {@code withSums} their sums, [out] float32
     */
    static NDList quantizeRows(NDArray w, String name, boolean withSums) {
        NDList out = allocate(w.getManager(), w.getShape().get(0), w.getShape().get(1), withSums);
        try {
            quantizeRowsInto(w, row -> name + ": row " + row, out, 0);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /**
     * The arrays {@link #quantizeRowsInto} writes, zero-filled.
     *
     * @return int8 rows, [rows, in]; scales, [rows]; with {@code withSums} row sums, [rows]
     */
    static NDList allocate(NDManager manager, long rows, long in, boolean withSums) {
        NDList out = new NDList(manager.zeros(new Shape(rows, in), DataType.INT8), // [rows, in]
                manager.zeros(new Shape(rows), DataType.FLOAT32)); // [rows]
        if (withSums) {
            out.add(manager.zeros(new Shape(rows), DataType.FLOAT32)); // [rows]
        }
        return out;
    }

    /**
     * Quantizes {@code w}'s rows into rows {@code firstRow..} of arrays from {@link #allocate} (the parts of a fused
     * weight go one after another into the same arrays, with no join).
     *
     * @param w the weight or part, [n, in] in any float type (not changed)
     * @param where names a row of {@code out} for messages, e.g. "model.layers.0.mlp.up_proj.weight: row 3"
     * @param out int8 rows, scales and optionally row sums, as {@link #allocate} makes them
     * @param firstRow where {@code w}'s first row goes
     * @throws IllegalArgumentException naming the tensor and row if a value is not finite or a row's scale underflows
     */
    static void quantizeRowsInto(NDArray w, java.util.function.LongFunction<String> where, NDList out, long firstRow) {
        long rows = w.getShape().get(0);
        for (long r = 0; r < rows; r += ROWS_PER_CHUNK) {
            long end = Math.min(rows, r + ROWS_PER_CHUNK);
            try (NDManager step = w.getManager().newSubManager()) { // the chunk's float copy and temporaries
                NDArray chunk = w.get(r + ":" + end); // [n, in] in the stored type
                chunk.attach(step);
                NDArray[] rowsOut = EngineOps.int8Rows(chunk, QMAX); // q [n, in] int8, scales, amax, sums [n]
                for (NDArray a : rowsOut) {
                    a.attach(step);
                }
                requireQuantizable(rowsOut[2].toFloatArray(), firstRow + r, where);
                NDIndex target = new NDIndex((firstRow + r) + ":" + (firstRow + end));
                for (int k = 0; k < out.size(); k++) {
                    out.get(k).set(target, rowsOut[k == 2 ? 3 : k]);
                }
            }
        }
    }

    /**
     * Int8 rows read from a checkpoint, checked and made ready for the products: every scale positive and finite, and
     * rows whose levels exceed {@link #QMAX} (127-level weights, as llm-compressor writes them) quantized again from
     * {@code q · scale} a chunk at a time (one more rounding for those rows' tensor; this project's own files need none).
     *
     * @param q the int8 rows, [out, in], an ordinary tensor the result may keep (closed if replaced)
     * @param scales their scales, [out] float32 (closed if replaced)
     * @param where names a row for messages
     * @return the int8 rows, [out, in], and their scales, [out]
     * @throws IllegalArgumentException naming the tensor and row of a scale that is not positive and finite
     */
    static NDList fromStored(NDArray q, NDArray scales, java.util.function.LongFunction<String> where) {
        float[] s = scales.toFloatArray(); // [out]
        for (int i = 0; i < s.length; i++) {
            if (!(s[i] > 0f) || !Float.isFinite(s[i])) {
                q.close();
                scales.close();
                throw new IllegalArgumentException(where.apply(i) + " has int8 scale " + s[i] + "; scales must be"
                        + " positive and finite");
            }
        }
        long rows = q.getShape().get(0);
        boolean within = true;
        for (long r = 0; r < rows && within; r += ROWS_PER_CHUNK) {
            try (NDArray chunk = q.get(r + ":" + Math.min(rows, r + ROWS_PER_CHUNK)); // [n, in] int8
                    NDArray largest = chunk.max();
                    NDArray smallest = chunk.min()) {
                within = largest.getByte() <= QMAX && smallest.getByte() >= -QMAX;
            }
        }
        if (within) {
            return new NDList(q, scales);
        }
        NDList out = allocate(q.getManager(), rows, q.getShape().get(1), false);
        try (q; scales) {
            for (long r = 0; r < rows; r += ROWS_PER_CHUNK) {
                String range = r + ":" + Math.min(rows, r + ROWS_PER_CHUNK);
                try (NDManager step = q.getManager().newSubManager()) {
                    NDArray chunk = q.get(range); // [n, in] int8
                    chunk.attach(step);
                    NDArray rowScales = scales.get(range).reshape(-1, 1); // [n, 1]
                    rowScales.attach(step);
                    NDArray w = chunk.toType(DataType.FLOAT32, false).muli(rowScales); // [n, in]
                    w.attach(step);
                    quantizeRowsInto(w, where, out, r);
                }
            }
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /**
     * Refuses rows holding NaN or an infinity (their largest |w| is then not finite). A row of zeros quantizes
     * exactly (scale 1, all q = 0); a row whose largest value is not zero but whose scale {@code max / 64} is below
     * float32's smallest normal number would quantize to zeros and scales that are themselves rounded: refused.
     *
     * @param max each row's largest |w|, [n]
     */
    private static void requireQuantizable(float[] max, long firstRow, java.util.function.LongFunction<String> where) {
        for (int i = 0; i < max.length; i++) {
            if (!Float.isFinite(max[i])) {
                throw new IllegalArgumentException(where.apply(firstRow + i) + " holds a non-finite value; it cannot be"
                        + " quantized to int8");
            }
            if (max[i] > 0f && max[i] / QMAX < Float.MIN_NORMAL) {
                throw new IllegalArgumentException(where.apply(firstRow + i) + " has values no larger than " + max[i]
                        + ", so its int8 scale would underflow float32");
            }
        }
    }
}
