package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.checkpoint.CheckpointException;
import dev.layerskip.checkpoint.HfCheckpoint;
import dev.layerskip.checkpoint.MappedBytes;
import dev.layerskip.checkpoint.SafetensorsFile;
import dev.layerskip.checkpoint.TensorDType;
import dev.layerskip.checkpoint.TensorInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The rows of a stored [rows, width] table (an embedding, an LM head) read from the checkpoint file when they are
 * looked up, by positional reads: nothing is mapped and nothing of the table is held in memory. An int8 model looks
 * its tokens up this way, so the table it multiplies by is held once (FBGEMM's packed copy) instead of twice.
 *
 * <p>Rows come back as float32, exactly as stored (F32, F16, BF16; I8 rows times their scales). The file stays open
 * until the model's manager closes; it is read as it was at load (a file replaced by a new one under the same name
 * is not seen; one rewritten in place is, which is why checkpoints must not be edited while a model uses them).
 */
final class StoredRows implements AutoCloseable {

    private final Path path;
    private final String name;
    private final FileChannel channel;
    private final long start; // the table's first byte in the file
    private final TensorDType dtype;
    private final long rows;
    private final long width;
    private final long rowBytes;
    private final float[] int8Scales; // I8: one scale per row, read at open; else null

    private StoredRows(Path path, String name, FileChannel channel, long start, TensorDType dtype, long[] shape,
            float[] int8Scales) {
        this.path = path;
        this.name = name;
        this.channel = channel;
        this.start = start;
        this.dtype = dtype;
        this.rows = shape[0];
        this.width = shape[1];
        this.rowBytes = shape[1] * dtype.bytes();
        this.int8Scales = int8Scales;
    }

    /**
     * Opens a table of a checkpoint for look-ups; its shape and values were checked when the model loaded.
     *
     * @param checkpoint the open checkpoint (not edited: its rows are read again later, unedited)
     * @param name the table's tensor name
     * @param int8Scales for an I8 table, its per-row scales (checked positive and finite), else null
     * @return the rows, open until closed
     * @throws CheckpointException if the file cannot be opened
     */
    static StoredRows open(HfCheckpoint checkpoint, String name, float[] int8Scales) throws CheckpointException {
        if (checkpoint.edited()) {
            throw new IllegalStateException("rows of '" + name + "' would be read unedited from an edited checkpoint");
        }
        SafetensorsFile file = checkpoint.file(name);
        TensorInfo info = file.tensors().get(name);
        if (info.shape().length != 2 || (info.dtype() == TensorDType.I8) != (int8Scales != null)) {
            throw new IllegalArgumentException("'" + name + "' " + info + " is not a table of rows"
                    + (info.dtype() == TensorDType.I8 ? " with scales" : ""));
        }
        try {
            FileChannel channel = FileChannel.open(file.path(), StandardOpenOption.READ);
            return new StoredRows(file.path(), name, channel, file.position(info), info.dtype(), info.shape(), int8Scales);
        } catch (IOException e) {
            throw new CheckpointException(file.path(), "cannot open for look-ups of '" + name + "': " + e.getMessage(), e);
        }
    }

    /** @return the number of values in a row */
    long width() {
        return width;
    }

    @Override
    public String toString() {
        return "'" + name + "' in " + path;
    }

    /**
     * Reads rows.
     *
     * @param manager the manager of the result
     * @param ids the rows to read, each in 0..rows-1 (repeats allowed)
     * @return [ids.length, width] FLOAT32, attached to {@code manager}
     * @throws IllegalArgumentException naming the table if an id is out of range
     * @throws UncheckedIOException naming the file if reading fails
     */
    NDArray read(NDManager manager, int[] ids) {
        long bytes = ids.length * rowBytes;
        if (bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(ids.length + " rows of '" + name + "' are " + bytes + " bytes, over 2 GiB");
        }
        ByteBuffer buffer = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] < 0 || ids[i] >= rows) {
                    throw new IllegalArgumentException("row " + ids[i] + " is outside 0.." + (rows - 1) + " of '" + name + "'");
                }
                readFully(buffer.slice((int) (i * rowBytes), (int) rowBytes), start + ids[i] * rowBytes);
            }
            return copied(manager, buffer, ids);
        } finally {
            MappedBytes.release(buffer); // once per look-up, not left to the GC; nothing aliases it any more
        }
    }

    /** The rows in the buffer as a new FLOAT32 array: every array over the buffer is closed before returning. */
    private NDArray copied(NDManager manager, ByteBuffer buffer, int[] ids) {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray stored = scratch.create(buffer, new Shape(ids.length, width), aliasType()); // [n, width], may share the buffer
            NDArray typed = dtype == TensorDType.BF16 ? EngineOps.bf16View(stored) : stored; // [n, width]
            NDArray values = typed.toType(DataType.FLOAT32, true); // [n, width], a copy
            if (int8Scales != null) {
                float[] picked = new float[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    picked[i] = int8Scales[ids[i]];
                }
                values = values.muli(scratch.create(picked, new Shape(ids.length, 1))); // [n, width]
            }
            values.attach(manager);
            return values;
        }
    }

    private DataType aliasType() {
        return switch (dtype) {
            case F32 -> DataType.FLOAT32;
            case F16, BF16 -> DataType.FLOAT16; // BF16: raw bits
            case I8 -> DataType.INT8;
        };
    }

    private void readFully(ByteBuffer target, long position) {
        try {
            SafetensorsFile.readFully(channel, target, position);
        } catch (IOException e) {
            throw new UncheckedIOException(path + ": cannot read rows of '" + name + "': " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
