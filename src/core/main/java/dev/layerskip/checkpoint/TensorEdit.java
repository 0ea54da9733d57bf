package dev.layerskip.checkpoint;

import ai.djl.ndarray.NDArray;

/**
 * A change to stored tensors made as they are read, before they are converted, packed or quantized: the
 * model is then built from the edited values and never changed afterwards. A benchmark's forced agreement
 * (inert layers, a head restricted to some tokens) is one; the checkpoint's files are not touched.
 *
 * <p>The stored values arrive as {@link StoredTensorCopier#view} receives them: FLOAT32 for F32, FLOAT16 for
 * F16, the raw 16-bit patterns typed FLOAT16 for BF16 and INT8 for I8 (an int8 checkpoint's scales arrive
 * under their own names). An edit must therefore move values, not compute with them: zeros and selections
 * ({@code zerosLike}, {@code where}) keep every format exact.
 */
@FunctionalInterface
public interface TensorEdit {

    /** Changes nothing. */
    TensorEdit NONE = (name, firstRow, stored) -> stored;

    /**
     * Edits rows {@code firstRow ..} of a stored tensor (tensors over 2 GiB arrive in slices of rows).
     *
     * @param name the tensor's name in the checkpoint, e.g. {@code model.layers.3.mlp.down_proj.weight}
     * @param firstRow the index of the slice's first row in the whole tensor
     * @param stored the slice's stored values, [rows, ...], in the stored type (see above)
     * @return {@code stored} itself, or a new array of the same shape and type in {@code stored}'s manager
     */
    NDArray apply(String name, long firstRow, NDArray stored);

    /**
     * {@link #apply}, checked: the result keeps the slice's shape and type.
     *
     * @param name the tensor's name in the checkpoint
     * @param firstRow the index of the slice's first row in the whole tensor
     * @param stored the slice's stored values
     * @return the edited slice
     * @throws IllegalStateException naming the tensor if the edit changed its shape or type
     */
    default NDArray checkedApply(String name, long firstRow, NDArray stored) {
        NDArray edited = apply(name, firstRow, stored); // [rows, ...]
        if (edited == null || !edited.getShape().equals(stored.getShape())
                || edited.getDataType() != stored.getDataType()) {
            throw new IllegalStateException("the tensor edit changed '" + name + "' from " + stored.getShape() + " "
                    + stored.getDataType() + " to " + (edited == null ? "null"
                    : edited.getShape() + " " + edited.getDataType()));
        }
        return edited;
    }

    /**
     * This edit, then another on its result.
     *
     * @param next the edit applied second
     * @return the composed edit
     */
    default TensorEdit andThen(TensorEdit next) {
        return (name, firstRow, stored) -> next.apply(name, firstRow, apply(name, firstRow, stored));
    }
}
