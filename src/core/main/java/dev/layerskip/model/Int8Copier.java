package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.checkpoint.StoredTensorCopier;
import dev.layerskip.checkpoint.TensorDType;

/**
 * Reads int8 weights straight from the mapped file (issue 21). Float tensors are quantized: each view over the file is
 * widened to float32 a chunk of rows at a time ({@link Int8Weights#quantizeRows}), so loading never holds a float
 * copy of a whole tensor (a 128,256-token embedding of width 2,048 is 1 GB in float32) beside its mapped bytes.
 * Tensors stored int8 ({@link dev.layerskip.checkpoint.CompressedTensorsInt8}) come as their int8 views followed by
 * their scales' views, and are taken as they are ({@link Int8Weights#fromStored}). Packing for FBGEMM is left to the
 * caller, after the file's pages are unmapped.
 *
 * @param tensors the checkpoint tensors being read (several when fused), for messages
 * @param rows each tensor's row count
 * @param lookedUp true for tables whose rows are looked up (embedding, LM head): the result is the int8 rows and
 *     their scales; false for projections: quantized float tensors also give each row's sum of q, which packing needs
 * @param stored whether the tensors are stored int8 with scales (false: float tensors to quantize)
 */
record Int8Copier(String[] tensors, long[] rows, boolean lookedUp, boolean stored) implements StoredTensorCopier {

    /** Checks that every tensor has its row count. */
    Int8Copier {
        if (tensors.length == 0 || tensors.length != rows.length) {
            throw new IllegalArgumentException(tensors.length + " tensor names for " + rows.length + " row counts");
        }
    }

    @Override
    public NDArray view(NDArray alias, TensorDType stored) {
        return stored == TensorDType.BF16 ? EngineOps.bf16View(alias) : alias;
    }

    /** @return the int8 rows, [out, in]; their scales, [out]; for a quantized projection their sums, [out] */
    @Override
    public NDList copy(NDList views) {
        return stored ? readStored(views) : quantize(views);
    }

    /** Int8 views, then float scale views ([n, 1] each): the rows joined, the scales as float32 [out]. */
    private NDList readStored(NDList views) {
        NDList qs = new NDList();
        NDList scales = new NDList();
        for (NDArray view : views) {
            (view.getDataType() == DataType.INT8 ? qs : scales).add(view);
        }
        NDManager m = views.get(0).getManager();
        NDArray q = qs.size() == 1 ? qs.get(0).duplicate() : NDArrays.concat(qs, 0); // [out, in] int8, a copy
        NDList floats = new NDList();
        for (NDArray scale : scales) {
            floats.add(scale.toType(DataType.FLOAT32, false).reshape(-1)); // [n]
        }
        NDArray s = floats.size() == 1 ? floats.get(0).duplicate() : NDArrays.concat(floats, 0); // [out]
        floats.close();
        q.attach(m);
        s.attach(m);
        return Int8Weights.fromStored(q, s, this::describe);
    }

    /** Float views: quantized into one set of arrays (int8 rows, scales, and row sums for packing). */
    private NDList quantize(NDList views) {
        long total = 0;
        for (NDArray view : views) {
            total += view.getShape().get(0);
        }
        NDArray first = views.get(0); // [n, in]
        NDList out = Int8Weights.allocate(first.getManager(), total, first.getShape().get(1), !lookedUp);
        try {
            long row = 0;
            for (NDArray view : views) { // per output channel: the parts of a fused weight quantize independently
                Int8Weights.quantizeRowsInto(view, this::describe, out, row);
                row += view.getShape().get(0);
            }
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /** Names a row of the joined weight by its tensor and row there, e.g. "...mlp.up_proj.weight: row 3". */
    private String describe(long joinedRow) {
        long start = 0;
        for (int t = 0; t < tensors.length; t++) {
            if (joinedRow < start + rows[t]) {
                return tensors[t] + ": row " + (joinedRow - start);
            }
            start += rows[t];
        }
        return String.join("/", tensors) + ": row " + joinedRow;
    }
}
