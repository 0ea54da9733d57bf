package dev.layerskip.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;

/** Checks and copies of a checkpoint's stored values, tensor by tensor, straight from the mapped files. */
public final class StoredValues {

    private StoredValues() {}

    /**
     * Refuses NaN and infinities in a slice of a tensor. The fast path is one sum on the device (finite
     * values give a finite sum unless it overflows); only a non-finite sum pays for the exact count.
     */
    static void requireFinite(NDArray slice, String name, Path file, long firstRow) throws CheckpointException {
        try (NDArray sum = slice.sum(); NDArray sum32 = sum.toType(DataType.FLOAT32, false)) {
            if (Float.isFinite(sum32.getFloat())) {
                return;
            }
        }
        try (NDArray flat = slice.flatten();
                NDArray nan = flat.isNaN();
                NDArray inf = flat.isInfinite();
                NDArray bad = nan.logicalOr(inf);
                NDArray count = bad.countNonzero();
                NDArray first = bad.toType(DataType.INT32, false).argMax()) {
            long n = count.getLong();
            if (n == 0) {
                return; // the sum overflowed, the values are finite
            }
            long columns = Math.max(1, slice.getShape().size() / Math.max(1, slice.getShape().get(0)));
            long index = first.getLong();
            throw new CheckpointException(file, "tensor '" + name + "' holds " + n + " non-finite value"
                    + (n == 1 ? "" : "s") + " (NaN or infinity), the first at row " + (firstRow + index / columns)
                    + "; the checkpoint is damaged");
        }
    }

    /**
     * Writes a tensor's stored bytes as they are, mapped in slices under 2 GiB and unmapped at once.
     *
     * @param checkpoint the open checkpoint
     * @param name the tensor
     * @param out where to write them
     * @throws CheckpointException if the tensor is missing or cannot be mapped
     * @throws IOException if writing fails
     */
    public static void copyBytes(HfCheckpoint checkpoint, String name, WritableByteChannel out)
            throws CheckpointException, IOException {
        SafetensorsFile file = checkpoint.file(name);
        if (file == null) {
            throw new CheckpointException(checkpoint.directory(), "missing tensor '" + name + "'");
        }
        TensorInfo info = file.tensors().get(name);
        for (long at = 0; at < info.byteSize(); at += HfCheckpoint.MAX_SLICE_BYTES) {
            try (MappedBytes bytes = file.map(info, at, Math.min(HfCheckpoint.MAX_SLICE_BYTES, info.byteSize() - at))) {
                ByteBuffer b = bytes.buffer().duplicate();
                while (b.hasRemaining()) {
                    out.write(b);
                }
            }
        }
    }
}
