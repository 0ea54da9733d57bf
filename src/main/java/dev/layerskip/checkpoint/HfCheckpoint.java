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
    private static final java.util.regex.Pattern LAYER = java.util.regex.Pattern.compile("model\\.layers\\.(\\d+)\\.");

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
                JsonElement shard = e.getValue();
                if (!shard.isJsonPrimitive() || !shard.getAsJsonPrimitive().isString()) {
                    throw new CheckpointException(index, "'weight_map." + e.getKey() + "' must be a file name string, got "
                            + StrictJson.typeOf(shard));
                }
                shards.add(shard.getAsString());
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

    /**
     * @param name a tensor name
     * @return the file that holds it, or null
     */
    SafetensorsFile file(String name) {
        return owner.get(name);
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
                NDArray slice = toArray(manager, bytes, info.dtype(), new Shape(sliceShape), target);
                slices.add(slice);
                requireFinite(slice, name, file.path(), r);
            }
            if (slices.size() == 1) {
                return slices.get(0);
            }
            NDArray whole = NDArrays.concat(slices, 0);
            slices.close();
            return whole;
        } catch (RuntimeException | CheckpointException e) {
            slices.close();
            throw e;
        }
    }

    /**
     * Refuses NaN and infinities in a slice of a tensor. The fast path is one sum on the device (finite
     * values give a finite sum unless it overflows); only a non-finite sum pays for the exact count.
     */
    private static void requireFinite(NDArray slice, String name, Path file, long firstRow) throws CheckpointException {
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
     * Checks the checkpoint's tensors against the ones a configuration needs, before anything is
     * allocated: every needed tensor present with its shape, and no tensor the configuration does not
     * use (a config with fewer layers than the checkpoint stores, say).
     *
     * @param expected every needed tensor name with its shape
     * @param ignored tensors that may be present and are not used (e.g. a tied head stored anyway)
     * @throws CheckpointException naming the first missing or misshapen tensor, or the unused ones
     */
    public void verifyTensors(Map<String, long[]> expected, java.util.Set<String> ignored) throws CheckpointException {
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            SafetensorsFile file = owner.get(e.getKey());
            if (file == null) {
                throw new CheckpointException(directory, "missing tensor '" + e.getKey() + "'");
            }
            long[] shape = file.tensors().get(e.getKey()).shape();
            if (!Arrays.equals(shape, e.getValue())) {
                throw new CheckpointException(file.path(), "tensor '" + e.getKey() + "' has shape "
                        + Arrays.toString(shape) + " but config.json implies " + Arrays.toString(e.getValue()));
            }
        }
        List<String> unused = new ArrayList<>();
        int maxLayer = -1;
        for (String name : owner.keySet()) {
            if (!expected.containsKey(name) && !ignored.contains(name)
                    && !name.matches("model\\.layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq")) {
                unused.add(name);
                java.util.regex.Matcher m = LAYER.matcher(name);
                if (m.lookingAt() && m.group(1).length() < 9) {
                    maxLayer = Math.max(maxLayer, Integer.parseInt(m.group(1)));
                }
            }
        }
        if (!unused.isEmpty()) {
            String list = String.join(", ", unused.subList(0, Math.min(5, unused.size())))
                    + (unused.size() > 5 ? " and " + (unused.size() - 5) + " more" : "");
            String hint = maxLayer >= config.numLayers()
                    ? " (it stores layers 0.." + maxLayer + " but num_hidden_layers is " + config.numLayers() + ")"
                    : "";
            throw new CheckpointException(directory, "the checkpoint holds " + unused.size() + " tensor"
                    + (unused.size() == 1 ? "" : "s") + " that config.json does not use: " + list + hint);
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
