package dev.layerskip.checkpoint;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.Gson;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A memory-mapped, bounds-checked reader of one safetensors file.
 *
 * <p>The header is validated when the file is opened: its length must fit in the file, every
 * tensor must have a supported dtype, offsets inside the data section that match its shape, and no
 * two tensors may overlap. Tensor bytes are then mapped on demand, so files and tensors larger
 * than 2 GiB are fine (read them in slices with {@link #data(TensorInfo, long, long)}).
 */
public final class SafetensorsFile implements AutoCloseable {

    private static final long MAX_HEADER_BYTES = 100L << 20;

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
            String json = new String(header.array(), StandardCharsets.UTF_8);
            long dataStart = 8 + headerLen;
            Map<String, TensorInfo> tensors = parseHeader(json, size - dataStart, path);
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

    private static void readFully(FileChannel channel, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = channel.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
    }

    private static Map<String, TensorInfo> parseHeader(String json, long dataLength, Path path)
            throws CheckpointException {
        JsonObject root;
        try {
            JsonReader jsonReader = new JsonReader(new java.io.StringReader(json.trim())); // Gson 2.8.5 API
            JsonElement e = new Gson().getAdapter(JsonElement.class).read(jsonReader);
            if (jsonReader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("text after the JSON value");
            }
            if (!e.isJsonObject()) {
                throw new CheckpointException(path, "safetensors header is not a JSON object");
            }
            root = e.getAsJsonObject();
        } catch (JsonParseException | IOException | IllegalStateException e) {
            throw new CheckpointException(path, "malformed safetensors header: " + e.getMessage(), e);
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> entry : root.entrySet()) {
            String name = entry.getKey();
            if (name.equals("__metadata__")) {
                continue;
            }
            try {
                JsonObject t = entry.getValue().getAsJsonObject();
                TensorDType dtype = TensorDType.fromSafetensorsName(t.get("dtype").getAsString());
                JsonArray shapeJson = t.getAsJsonArray("shape");
                long[] shape = new long[shapeJson.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = shapeJson.get(i).getAsLong();
                }
                JsonArray offsets = t.getAsJsonArray("data_offsets");
                if (offsets == null || offsets.size() != 2) {
                    throw new IllegalArgumentException("data_offsets must be [begin, end]");
                }
                TensorInfo info = new TensorInfo(
                        name, dtype, shape, offsets.get(0).getAsLong(), offsets.get(1).getAsLong());
                if (info.end() > dataLength) {
                    throw new IllegalArgumentException(
                            "data_offsets end " + info.end() + " is past the data section ("
                                    + dataLength + " bytes)");
                }
                tensors.put(name, info);
            } catch (IllegalArgumentException | IllegalStateException | NullPointerException
                    | UnsupportedOperationException | ClassCastException e) {
                String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                throw new CheckpointException(path, "tensor '" + name + "': " + why, e);
            }
        }
        List<TensorInfo> sorted = new ArrayList<>(tensors.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin));
        for (int i = 1; i < sorted.size(); i++) {
            TensorInfo prev = sorted.get(i - 1);
            TensorInfo cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw new CheckpointException(
                        path, "tensors '" + prev.name() + "' and '" + cur.name() + "' overlap");
            }
        }
        return Collections.unmodifiableMap(tensors);
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
     * Maps a byte range of a tensor's data, read-only and little-endian.
     *
     * @param info the tensor (from {@link #tensors()})
     * @param offset the first byte within the tensor
     * @param length the number of bytes, at most {@link Integer#MAX_VALUE}
     * @return a direct buffer over the file
     * @throws CheckpointException if the range is outside the tensor or mapping fails
     */
    public ByteBuffer data(TensorInfo info, long offset, long length) throws CheckpointException {
        if (offset < 0 || length < 0 || offset + length > info.byteSize() || length > Integer.MAX_VALUE) {
            throw new CheckpointException(
                    path, "range [" + offset + ", " + (offset + length) + ") outside tensor " + info);
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin() + offset, length)
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new CheckpointException(path, "cannot map tensor '" + info.name() + "': " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
