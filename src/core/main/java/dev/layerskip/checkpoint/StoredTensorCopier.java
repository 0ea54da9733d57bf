package dev.layerskip.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;

/**
 * Turns stored tensors, seen as arrays over the memory-mapped file, into one array PyTorch owns, in the
 * form the model uses: ideally one native copy per byte (the conversion or the packing is that copy).
 * The model layer supplies it, since BF16 views and packed layouts need its engine helper (DJL's own BF16
 * calls abort the JVM).
 */
public interface StoredTensorCopier {

    /**
     * Types an alias over the file without copying.
     *
     * @param alias the stored values over the mapped file, in the stored shape: FLOAT32 for F32, FLOAT16
     *     for F16, and for BF16 the raw 16-bit patterns typed FLOAT16
     * @param stored the stored element type
     * @return an array over the same memory in the stored type (the alias itself for F32 and F16)
     */
    NDArray view(NDArray alias, TensorDType stored);

    /**
     * Copies views into the arrays the model keeps, joined along the first dimension when there are several
     * (the slices of a tensor over 2 GiB, or tensors the model fuses such as q, k and v): the weight first, then
     * any companion computed from it in the same pass (an int8 weight's scales, say).
     *
     * @param views the typed views, in order; they are closed and unmapped right after the call
     * @return new arrays owned by the views' manager that share no memory with them, the weight first
     */
    NDList copy(NDList views);
}
