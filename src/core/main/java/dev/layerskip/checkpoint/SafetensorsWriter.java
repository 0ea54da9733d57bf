package dev.layerskip.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

/**
 * Writes safetensors files atomically: the bytes go to a temporary file in the same directory,
 * which is then renamed over the target, so a crash never leaves a half-written file.
 */
public final class SafetensorsWriter {

    /**
     * One tensor to write.
     *
     * @param name the tensor name
     * @param dtype the element type of {@code data}
     * @param shape the shape
     * @param data the little-endian bytes, exactly shape-size × dtype-size of them
     */
    public record Entry(String name, TensorDType dtype, long[] shape, ByteBuffer data) {
        /** Checks that the data length matches the shape. */
        public Entry {
            shape = shape.clone();
            long n = dtype.bytes();
            for (long d : shape) {
                n *= d;
            }
            if (data.remaining() != n) {
                throw new IllegalArgumentException(
                        "tensor '" + name + "' has " + data.remaining() + " bytes, shape needs " + n);
            }
        }

        /**
         * Encodes float values in the given dtype.
         *
         * @param name the tensor name
         * @param dtype the stored element type
         * @param shape the shape
         * @param values the values, row-major
         * @return the entry
         */
        public static Entry of(String name, TensorDType dtype, long[] shape, float[] values) {
            ByteBuffer buf = ByteBuffer.allocate(values.length * dtype.bytes()).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                switch (dtype) {
                    case F32 -> buf.putFloat(v);
                    case F16 -> buf.putShort(HalfFloats.floatToHalf(v));
                    case BF16 -> buf.putShort(HalfFloats.floatToBf16(v));
                    default -> throw new IllegalStateException("unreachable dtype " + dtype);
                }
            }
            buf.flip();
            return new Entry(name, dtype, shape, buf);
        }
    }

    private SafetensorsWriter() {}

    /**
     * Writes tensors to a safetensors file, in the given order.
     *
     * @param file the target file
     * @param entries the tensors
     * @param metadata string metadata for the {@code __metadata__} entry
     * @throws IOException if writing fails (the target is then untouched)
     */
    public static void write(Path file, List<Entry> entries, Map<String, String> metadata) throws IOException {
        ByteBuffer head = header(entries.stream().map(e -> new Layout(e.name(), e.dtype(), e.shape())).toList(), metadata);
        AtomicFiles.write(file, tmp -> {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                writeFully(ch, head);
                for (Entry e : entries) {
                    writeFully(ch, e.data().duplicate());
                }
                ch.force(true);
            }
        });
    }

    /**
     * The name, type and shape of one tensor in a file's header.
     *
     * @param name the tensor name
     * @param dtype the element type
     * @param shape the shape
     */
    public record Layout(String name, TensorDType dtype, long[] shape) {
        /** @return the bytes the tensor's data takes, computed in long */
        public long byteSize() {
            long n = dtype.bytes();
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    /**
     * The header of a safetensors file whose data section holds these tensors back to back, in order: the
     * 8-byte length, then the JSON padded with spaces to a multiple of 8 bytes. Writers that stream the data
     * (larger than memory) write it, then each tensor's bytes.
     *
     * @param tensors the tensors, in the order of their data
     * @param metadata string metadata for the {@code __metadata__} entry
     * @return the header bytes, ready to write
     */
    public static ByteBuffer header(List<Layout> tensors, Map<String, String> metadata) {
        JsonObject header = new JsonObject();
        JsonObject meta = new JsonObject();
        meta.addProperty("format", "pt");
        metadata.forEach(meta::addProperty);
        header.add("__metadata__", meta);
        long offset = 0;
        for (Layout e : tensors) {
            JsonObject t = new JsonObject();
            t.addProperty("dtype", e.dtype().name());
            JsonArray shape = new JsonArray();
            for (long d : e.shape()) {
                shape.add(d);
            }
            t.add("shape", shape);
            JsonArray offsets = new JsonArray();
            offsets.add(offset);
            offset += e.byteSize();
            offsets.add(offset);
            t.add("data_offsets", offsets);
            header.add(e.name(), t);
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        return head;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
