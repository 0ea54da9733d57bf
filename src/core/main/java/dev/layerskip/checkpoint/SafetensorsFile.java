package dev.layerskip.checkpoint;

import dev.layerskip.json.StrictJson;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A memory-mapped, bounds-checked reader of one safetensors file.
 *
 * <p>The header is validated when the file is opened, as strictly as the format says: strict JSON
 * without duplicate names; every tensor a supported dtype, a shape and data_offsets of unsigned
 * integers below 2^63 (no strings, fractions or negatives) matching its shape; and the tensors
 * tiling the data section exactly (no overlap, no gap, no trailing bytes). Tensor bytes are then mapped on demand and
 * unmapped when the caller closes the mapping, so files and tensors larger than 2 GiB are fine (read them in slices
 * with {@link #map(TensorInfo, long, long)}).
 */
public final class SafetensorsFile implements AutoCloseable {

    private static final long MAX_HEADER_BYTES = 100L << 20;
    private static final Set<String> TENSOR_KEYS = Set.of("dtype", "shape", "data_offsets");

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> tensors;

    private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, TensorInfo> tensors) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
    }

    /**
     * Opens and validates a safetensors file.
     *
     * @param path the file
     * @return the open file; close it when done
     * @throws CheckpointException if the file is missing or its header is invalid
     */
    public static SafetensorsFile open(Path path) throws CheckpointException {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(path, "safetensors file not found", e);
        } catch (IOException e) {
            throw new CheckpointException(path, "cannot open: " + e.getMessage(), e);
        }
        try {
            long size = channel.size();
            if (size < 8) {
                throw new CheckpointException(path, "file is " + size + " bytes, too short for a safetensors header");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > size - 8 || headerLen > MAX_HEADER_BYTES) {
                throw new CheckpointException(
                        path,
                        "header length " + Long.toUnsignedString(headerLen)
                                + " runs past the end of the file (" + size + " bytes)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(channel, header, 8);
            long dataStart = 8 + headerLen;
            Map<String, TensorInfo> tensors = parseHeader(header.array(), size - dataStart, path);
            return new SafetensorsFile(path, channel, dataStart, tensors);
        } catch (IOException | RuntimeException e) {
            try {
                channel.close();
            } catch (IOException closeError) {
                e.addSuppressed(closeError);
            }
            if (e instanceof CheckpointException ce) {
                throw ce;
            }
            throw new CheckpointException(path, "cannot read safetensors header: " + e.getMessage(), e);
        }
    }

    /**
     * Fills a buffer from a file position (a positional read: the channel's own position is not used).
     *
     * @param channel the file
     * @param buf what to fill, to its limit
     * @param position the file position of its first byte
     * @throws IOException if reading fails or the file ends first
     */
    public static void readFully(FileChannel channel, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = channel.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
    }

    private static Map<String, TensorInfo> parseHeader(byte[] header, long dataLength, Path path)
            throws CheckpointException {
        JsonElement e = LlamaConfigJson.parseStrict(header, path); // duplicate names are refused here
        if (!e.isJsonObject()) {
            throw new CheckpointException(path, "safetensors header is not a JSON object but " + StrictJson.typeOf(e));
        }
        JsonObject root = e.getAsJsonObject();
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> entry : root.entrySet()) {
            String name = entry.getKey();
            if (name.equals("__metadata__")) {
                checkMetadata(entry.getValue(), path);
                continue;
            }
            TensorInfo info;
            try {
                info = tensor(name, entry.getValue());
            } catch (IllegalArgumentException | ArithmeticException ex) {
                throw new CheckpointException(path, "tensor '" + name + "': " + ex.getMessage(), ex);
            }
            if (info.end() > dataLength) {
                throw new CheckpointException(path, "tensor '" + name + "': data_offsets end " + info.end()
                        + " is past the data section (" + dataLength + " bytes)");
            }
            tensors.put(name, info);
        }
        checkCoverage(tensors, dataLength, path);
        return Collections.unmodifiableMap(tensors);
    }

    private static TensorInfo tensor(String name, JsonElement value) {
        if (!value.isJsonObject()) {
            throw new IllegalArgumentException("expected {\"dtype\", \"shape\", \"data_offsets\"}, got "
                    + StrictJson.typeOf(value));
        }
        JsonObject t = value.getAsJsonObject();
        for (String key : t.keySet()) {
            if (!TENSOR_KEYS.contains(key)) {
                throw new IllegalArgumentException("unknown key '" + key + "' (expected dtype, shape, data_offsets)");
            }
        }
        JsonElement dtype = t.get("dtype");
        if (dtype == null || !dtype.isJsonPrimitive() || !dtype.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException("'dtype' must be a string, got " + StrictJson.typeOf(dtype));
        }
        long[] shape = unsignedList(t.get("shape"), "shape", -1);
        long[] offsets = unsignedList(t.get("data_offsets"), "data_offsets", 2);
        return new TensorInfo(name, TensorDType.fromSafetensorsName(dtype.getAsString()), shape, offsets[0], offsets[1]);
    }

    /** A list of unsigned 64-bit integers that also fit a Java long (at most 2^63 - 1). */
    private static long[] unsignedList(JsonElement value, String key, int size) {
        if (value == null || !value.isJsonArray()) {
            throw new IllegalArgumentException("'" + key + "' must be an array of unsigned integers, got "
                    + StrictJson.typeOf(value));
        }
        JsonArray a = value.getAsJsonArray();
        if (size >= 0 && a.size() != size) {
            throw new IllegalArgumentException("'" + key + "' must have " + size + " entries, got " + a.size());
        }
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement x = a.get(i);
            if (!StrictJson.isIntegerLiteral(x)) {
                throw new IllegalArgumentException("'" + key + "' must hold unsigned integers, found "
                        + StrictJson.typeOf(x));
            }
            BigInteger v = StrictJson.integerValue(x);
            if (v.signum() < 0 || v.bitLength() > 63) {
                throw new IllegalArgumentException("'" + key + "' value " + v + " is outside 0.." + Long.MAX_VALUE);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    private static void checkMetadata(JsonElement metadata, Path path) throws CheckpointException {
        if (metadata.isJsonNull()) {
            return;
        }
        if (!metadata.isJsonObject()) {
            throw new CheckpointException(path, "'__metadata__' must be an object of strings, got "
                    + StrictJson.typeOf(metadata));
        }
        for (Map.Entry<String, JsonElement> m : metadata.getAsJsonObject().entrySet()) {
            JsonElement v = m.getValue();
            if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) {
                throw new CheckpointException(path, "'__metadata__." + m.getKey() + "' must be a string, got "
                        + StrictJson.typeOf(v));
            }
        }
    }

    /** The tensors must tile the data section exactly: no overlap, no gap, nothing after the last one. */
    private static void checkCoverage(Map<String, TensorInfo> tensors, long dataLength, Path path)
            throws CheckpointException {
        List<TensorInfo> sorted = new ArrayList<>(tensors.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        TensorInfo prev = null;
        for (TensorInfo cur : sorted) {
            if (cur.begin() < expected) {
                throw new CheckpointException(
                        path, "tensors '" + prev.name() + "' and '" + cur.name() + "' overlap");
            }
            if (cur.begin() > expected) {
                throw new CheckpointException(path, "bytes " + expected + ".." + cur.begin()
                        + " of the data section belong to no tensor (before '" + cur.name() + "')");
            }
            expected = cur.end();
            prev = cur;
        }
        if (expected != dataLength) {
            throw new CheckpointException(path, "the data section has " + dataLength + " bytes but the tensors cover "
                    + expected + " (bytes after the last tensor belong to none)");
        }
    }

    /** @return the file */
    public Path path() {
        return path;
    }

    /** @return the tensors of this file by name, in header order */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /**
     * @param info a tensor of this file (from {@link #tensors()})
     * @return the position of its first byte in the file
     */
    public long position(TensorInfo info) {
        return dataStart + info.begin();
    }

    /**
     * Maps a byte range of a tensor's data, read-only and little-endian; closing the result unmaps it
     * at once (see {@link MappedBytes}).
     *
     * @param info the tensor (from {@link #tensors()})
     * @param offset the first byte within the tensor
     * @param length the number of bytes, at most {@link Integer#MAX_VALUE}
     * @return the mapping over the file; close it when the bytes are copied
     * @throws CheckpointException if the range is outside the tensor or mapping fails
     */
    public MappedBytes map(TensorInfo info, long offset, long length) throws CheckpointException {
        if (offset < 0 || length < 0 || offset > info.byteSize() - length || length > Integer.MAX_VALUE) {
            throw new CheckpointException(
                    path, "range [" + offset + ", " + (offset + length) + ") outside tensor " + info);
        }
        try {
            return new MappedBytes(channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin() + offset, length)
                    .order(ByteOrder.LITTLE_ENDIAN));
        } catch (IOException e) {
            throw new CheckpointException(path, "cannot map tensor '" + info.name() + "': " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
