package dev.layerskip.checkpoint;

import dev.layerskip.json.StrictJson;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.io.IOException;
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
 * <p>Tensors are read from memory-mapped files straight into memory PyTorch owns: each tensor's range is
 * mapped, copied (and converted) once by a {@link StoredTensorCopier}, and unmapped at once, so loading
 * holds the weights once plus at most one tensor's mapped pages, with no Java heap or direct-buffer
 * copies.
 */
public final class HfCheckpoint implements AutoCloseable {

    /** The single-file weights name. */
    public static final String SINGLE_FILE = "model.safetensors";
    /** The shard index name. */
    public static final String INDEX_FILE = "model.safetensors.index.json";

    /** The largest range mapped at once (a row boundary below it): tensors under 2 GiB are read in one copy. */
    static final long MAX_SLICE_BYTES = Integer.MAX_VALUE;
    private static final java.util.regex.Pattern LAYER = java.util.regex.Pattern.compile("model\\.layers\\.(\\d+)\\.");

    private final Path directory;
    private final LlamaConfig config;
    private final CompressedTensorsInt8 int8Storage;
    private final GenerationDefaults generationDefaults;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> owner;
    private final TensorEdit edit;

    private HfCheckpoint(Path directory, LlamaConfig config, CompressedTensorsInt8 int8Storage,
            GenerationDefaults generationDefaults, List<SafetensorsFile> files, Map<String, SafetensorsFile> owner,
            TensorEdit edit) {
        this.edit = edit;
        this.directory = directory;
        this.config = config;
        this.int8Storage = int8Storage;
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
        return open(directory, TensorEdit.NONE);
    }

    /**
     * Opens a checkpoint directory whose tensors are edited as they are read (the files are not changed).
     *
     * @param directory the directory
     * @param edit applied to every tensor slice before its copier sees it
     * @return the open checkpoint; close it when the weights are loaded
     * @throws CheckpointException if a file is missing or invalid (the message names it)
     */
    public static HfCheckpoint open(Path directory, TensorEdit edit) throws CheckpointException {
        if (edit == null) {
            throw new IllegalArgumentException("the tensor edit must not be null (TensorEdit.NONE for none)");
        }
        if (!Files.isDirectory(directory)) {
            throw new CheckpointException(directory, "checkpoint directory not found");
        }
        Path configFile = directory.resolve("config.json");
        JsonObject configJson = LlamaConfigJson.readObject(configFile);
        LlamaConfig config = LlamaConfigJson.parse(configJson, configFile);
        CompressedTensorsInt8 int8Storage = CompressedTensorsInt8.read(configJson, configFile);
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
        return new HfCheckpoint(directory, config, int8Storage, gen, files, owner, edit);
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

    /** @return whether its tensors are edited as they are read ({@link #open(Path, TensorEdit)}) */
    public boolean edited() {
        return edit != TensorEdit.NONE;
    }

    /**
     * @param name a tensor name
     * @return its header entry (type, shape), or null when the checkpoint does not hold it
     */
    public TensorInfo info(String name) {
        SafetensorsFile f = owner.get(name);
        return f == null ? null : f.tensors().get(name);
    }

    /**
     * @param name a tensor name
     * @return the file that holds it, or null
     */
    public SafetensorsFile file(String name) {
        return owner.get(name);
    }

    /**
     * @return how the checkpoint stores int8 weights ({@code quantization_config} in config.json), or null for a
     *     checkpoint of float weights
     */
    public CompressedTensorsInt8 int8Storage() {
        return int8Storage;
    }

    /** @return the float type of the stored weights: that of the embedding matrix (of the first float tensor without one) */
    public TensorDType storedDType() {
        SafetensorsFile embedding = owner.get("model.embed_tokens.weight");
        if (embedding != null) {
            return embedding.tensors().get("model.embed_tokens.weight").dtype();
        }
        for (SafetensorsFile f : files) {
            for (TensorInfo t : f.tensors().values()) {
                if (t.dtype().isFloat()) {
                    return t.dtype();
                }
            }
        }
        return TensorDType.F32;
    }

    /**
     * Reads one tensor into a new array that PyTorch owns; see {@link #load(NDManager, StoredTensorCopier, String[], long[][])}.
     *
     * @param manager the manager that will own the array
     * @param name the tensor name
     * @param expectedShape the shape the config implies
     * @param copier turns the stored values into the array the model uses
     * @return the array
     * @throws CheckpointException if the tensor is missing, has another shape, or holds NaN or infinities
     */
    public NDArray load(NDManager manager, String name, long[] expectedShape, StoredTensorCopier copier)
            throws CheckpointException {
        return load(manager, copier, new String[] {name}, new long[][] {expectedShape});
    }

    /**
     * Reads tensors into one new array that PyTorch owns; see {@link #loadAll}.
     *
     * @param manager the manager that will own the array
     * @param copier turns the stored values into the array the model uses (one array)
     * @param names the tensor names, in the order to join them
     * @param expectedShapes the shape config.json implies for each
     * @return the array
     * @throws CheckpointException if a tensor is missing, has another shape, or holds NaN or infinities
     */
    public NDArray load(NDManager manager, StoredTensorCopier copier, String[] names, long[][] expectedShapes)
            throws CheckpointException {
        NDList arrays = loadAll(manager, copier, names, expectedShapes);
        if (arrays.size() != 1) {
            arrays.close();
            throw new IllegalStateException("the copier returned " + arrays.size() + " arrays where one was expected");
        }
        return arrays.get(0);
    }

    /**
     * Reads tensors into new arrays that PyTorch owns, joined along the first dimension: each tensor's
     * bytes are mapped (in slices of rows under 2 GiB), checked for NaN and infinities where they lie, and
     * handed to {@code copier} as views, which copies (and converts, packs or quantizes) them once; then every
     * mapping is closed. Loading thus holds the weights once plus the mapped pages of the tensors at hand.
     *
     * @param manager the manager that will own the arrays
     * @param copier turns the stored values into the arrays the model uses (the weight and its companions)
     * @param names the tensor names, in the order to join them
     * @param expectedShapes the shape config.json implies for each
     * @return the copier's arrays, the weight first
     * @throws CheckpointException if a tensor is missing, has another shape, or holds NaN or infinities
     */
    public NDList loadAll(NDManager manager, StoredTensorCopier copier, String[] names, long[][] expectedShapes)
            throws CheckpointException {
        List<MappedBytes> mappings = new ArrayList<>();
        try (NDManager views = manager.newSubManager()) {
            NDList typed = new NDList();
            for (int t = 0; t < names.length; t++) {
                mapSlices(views, names[t], expectedShapes[t], copier, typed, mappings);
            }
            NDList owned = copier.copy(typed);
            for (NDArray o : owned) {
                for (NDArray v : typed) {
                    if (o == v) {
                        owned.close();
                        throw new IllegalStateException("the copier returned a view over the mapped file, not a copy");
                    }
                }
            }
            owned.attach(manager);
            return owned;
        } finally {
            for (MappedBytes m : mappings) {
                m.close(); // after the views' manager closed every array over them
            }
        }
    }

    /** Maps one tensor in slices of rows, adding a typed, finiteness-checked view of each slice. */
    private void mapSlices(NDManager views, String name, long[] expectedShape, StoredTensorCopier copier,
            NDList typed, List<MappedBytes> mappings) throws CheckpointException {
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
        long rowsPerSlice = Math.max(1, MAX_SLICE_BYTES / Math.max(1, rowBytes));
        DataType aliasType = switch (info.dtype()) {
            case F32 -> DataType.FLOAT32;
            case F16, BF16 -> DataType.FLOAT16; // BF16: raw bits
            case I8 -> DataType.INT8;
        };
        for (long r = 0; r < rows; r += rowsPerSlice) {
            long[] sliceShape = shape.clone();
            sliceShape[0] = Math.min(rowsPerSlice, rows - r);
            MappedBytes bytes = file.map(info, r * rowBytes, sliceShape[0] * rowBytes);
            mappings.add(bytes);
            NDArray stored = views.create(bytes.buffer(), new Shape(sliceShape), aliasType); // [rows, ...]
            NDArray alias = edit.checkedApply(name, r, stored); // [rows, ...]
            NDArray view = copier.view(alias, info.dtype());
            typed.add(view);
            if (info.dtype().isFloat()) {
                StoredValues.requireFinite(view, name, file.path(), r);
            }
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
