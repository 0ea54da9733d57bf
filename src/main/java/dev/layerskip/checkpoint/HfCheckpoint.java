package dev.layerskip.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * An open Hugging Face checkpoint directory: {@code config.json}, optional {@code
 * generation_config.json}, and weights in {@code model.safetensors} or in shards listed by {@code
 * model.safetensors.index.json}.
 *
 * <p>Tensors are read from memory-mapped files and converted to the requested DJL type on the way
 * in; BF16 is widened in Java (DJL's BF16 aborts the JVM). Large tensors are converted in slices of
 * rows, so no single buffer exceeds a few tens of MiB.
 */
public final class HfCheckpoint implements AutoCloseable {

    /** The single-file weights name. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The shard index name. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    private static final long SLICE_BYTES = 32L << 20;

    private final Path directory;
    private final LlamaConfig config;
    private final GenerationDefaults generationDefaults;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owner;

    private HfCheckpoint(Path directory, LlamaConfig config, GenerationDefaults generationDefaults,
            List<SafetensorsFile> files, Map<String, SafetensorsFile> owner) {
        this.directory = directory;
        this.config = config;
        this.generationDefaults = generationDefaults;
        this.files = files;
        this.owner = owner;
    }

    /**
     * Opens a checkpoint directory and validates its config and safetensors headers.
     *
     * @param directory the directory
     * @return the open checkpoint; close it when the weights are loaded
     * @throws CheckpointException if a file is missing or invalid (the message names it)
     */
    public static HfCheckpoint open(Path directory) throws CheckpointException {
        if (!Files.isDirectory(directory)) {
            throw new CheckpointException(directory, "checkpoint directory not found");
        }
        LlamaConfig config = LlamaConfigJson.read(directory.resolve("config.json"));
        GenerationDefaults gen = GenerationDefaults.read(directory, config);
        List<Path> shardPaths = shardPaths(directory);
        List<SafetensorsFile> files = new ArrayList<>();
        Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
        try {
            for (Path p : shardPaths) {
                SafetensorsFile f = SafetensorsFile.open(p);
                files.add(f);
                for (String name : f.tensors().keySet()) {
                    SafetensorsFile previous = owner.put(name, f);
                    if (previous != null) {
                        throw new CheckpointException(
                                p, "tensor '" + name + "' is also in " + previous.path().getFileName());
                    }
                }
            }
        } catch (CheckpointException e) {
            closeAll(files, e);
            throw e;
        }
        return new HfCheckpoint(directory, config, gen, files, owner);
    }

    private static List<Path> shardPaths(Path directory) throws CheckpointException {
        Path index = directory.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            JsonObject root = LlamaConfigJson.readObject(index);
            if (!root.has("weight_map") || !root.get("weight_map").isJsonObject()) {
                throw new CheckpointException(index, "field 'weight_map' is missing or not an object");
            }
            TreeSet<String> shards = new TreeSet<>();
            for (Map.Entry<String, JsonElement> e : root.getAsJsonObject("weight_map").entrySet()) {
                shards.add(e.getValue().getAsString());
            }
            List<Path> paths = new ArrayList<>();
            for (String shard : shards) {
                Path p = directory.resolve(shard).normalize();
                if (!p.startsWith(directory.normalize()) || !Files.isRegularFile(p)) {
                    throw new CheckpointException(index, "names shard '" + shard + "', which does not exist");
                }
                paths.add(p);
            }
            return paths;
        }
        Path single = directory.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return List.of(single);
        }
        throw new CheckpointException(directory, "no " + SINGLE_FILE + " or " + INDEX_FILE + " found");
    }

    private static void closeAll(List<SafetensorsFile> files, Exception primary) {
        for (SafetensorsFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                primary.addSuppressed(e);
            }
        }
    }

    /** @return the checkpoint directory */
    public Path directory() {
        return directory;
    }

    /** @return the parsed {@code config.json} */
    public LlamaConfig config() {
        return config;
    }

    /** @return the generation defaults ({@code generation_config.json} or the config's ids) */
    public GenerationDefaults generationDefaults() {
        return generationDefaults;
    }

    /**
     * @param name a tensor name
     * @return whether the checkpoint holds it
     */
    public boolean has(String name) {
        return owner.containsKey(name);
    }

    /** @return the dtype of the stored weights (that of the embedding matrix) */
    public TensorDType storedDType() {
        return owner.values().iterator().next().tensors().values().iterator().next().dtype();
    }

    /**
     * Reads one tensor into a new array of the given type.
     *
     * @param manager the manager that will own the array
     * @param name the tensor name
     * @param expectedShape the shape the config implies
     * @param target FLOAT32 or FLOAT16
     * @return the array
     * @throws CheckpointException if the tensor is missing or has another shape
     */
    public NDArray load(NDManager manager, String name, long[] expectedShape, DataType target)
            throws CheckpointException {
        SafetensorsFile file = owner.get(name);
        if (file == null) {
            throw new CheckpointException(directory, "missing tensor '" + name + "'");
        }
        TensorInfo info = file.tensors().get(name);
        if (!Arrays.equals(info.shape(), expectedShape)) {
            throw new CheckpointException(
                    file.path(),
                    "tensor '" + name + "' has shape " + Arrays.toString(info.shape())
                            + " but config.json implies " + Arrays.toString(expectedShape));
        }
        long[] shape = info.shape(); // equal to expectedShape: every dimension >= 1
        long rows = shape[0];
        long rowBytes = info.byteSize() / rows;
        long rowsPerSlice = Math.max(1, SLICE_BYTES / Math.max(1, rowBytes));
        NDList slices = new NDList();
        try {
            for (long r = 0; r < rows; r += rowsPerSlice) {
                long[] sliceShape = shape.clone();
                sliceShape[0] = Math.min(rowsPerSlice, rows - r);
                ByteBuffer bytes = file.data(info, r * rowBytes, sliceShape[0] * rowBytes);
                slices.add(toArray(manager, bytes, info.dtype(), new Shape(sliceShape), target));
            }
            if (slices.size() == 1) {
                return slices.get(0);
            }
            NDArray whole = NDArrays.concat(slices, 0);
            slices.close();
            return whole;
        } catch (RuntimeException e) {
            slices.close();
            throw e;
        }
    }

    /** Converts stored bytes to an array of the target type (BF16 widened in Java; the copy is owned by the manager). */
    static NDArray toArray(NDManager manager, ByteBuffer bytes, TensorDType source, Shape shape,
            DataType target) {
        ByteBuffer input = bytes;
        DataType inputType = source == TensorDType.F16 ? DataType.FLOAT16 : DataType.FLOAT32;
        if (source == TensorDType.BF16) {
            int n = bytes.remaining() / 2;
            input = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
            for (int i = 0; i < n; i++) {
                input.putFloat(HalfFloats.bf16ToFloat(bytes.getShort(i * 2)));
            }
            input.flip();
        }
        // The alias shares memory with the mapped file (or the conversion buffer): copy into memory
        // PyTorch owns, then drop it. toType does not copy when the type is unchanged.
        try (NDArray alias = manager.create(input, shape, inputType)) {
            return inputType == target ? alias.duplicate() : alias.toType(target, false);
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (SafetensorsFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
