package dev.layerskip.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;

import com.google.gson.JsonObject;

import dev.layerskip.checkpoint.CheckpointException;
import dev.layerskip.checkpoint.HfCheckpoint;
import dev.layerskip.checkpoint.HfCheckpointWriter;
import dev.layerskip.checkpoint.LlamaConfigJson;
import dev.layerskip.checkpoint.SafetensorsFile;
import dev.layerskip.checkpoint.SafetensorsWriter;
import dev.layerskip.checkpoint.TensorDType;
import dev.layerskip.checkpoint.TensorInfo;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.LlamaWeights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Step checkpoints: {@code checkpoints/step-NNNNNNN/} holds the model (F32, Hugging Face format),
 * the optimiser moments ({@code optimizer.safetensors}) and {@code trainer_state.json}. A
 * checkpoint is written into a temporary directory and renamed into place, so a crash or kill
 * never leaves a partial checkpoint where resume would find it.
 */
public final class TrainingCheckpoint {

    private TrainingCheckpoint() {}

    /**
     * Writes a checkpoint.
     *
     * @param outputDir the run's output directory
     * @param step steps done
     * @param model the model
     * @param optimizer the optimiser
     * @param names parameter id → stable name
     * @return the checkpoint directory
     * @throws IOException if writing fails
     */
    public static Path save(Path outputDir, long step, LlamaModel model, SkippingAdamW optimizer, Map<String, String> names)
            throws IOException {
        Path root = outputDir.resolve("checkpoints");
        Files.createDirectories(root);
        Path target = root.resolve(String.format("step-%07d", step));
        Path tmp = Files.createTempDirectory(root, "incomplete-");
        HfCheckpointWriter.write(tmp, model.config(), LlamaWeights.toHf(model, TensorDType.F32), Long.MAX_VALUE);
        List<SafetensorsWriter.Entry> state = new ArrayList<>();
        JsonObject counts = new JsonObject();
        for (Map.Entry<String, NDArray[]> e : optimizer.moments().entrySet()) {
            String name = names.get(e.getKey());
            state.add(entry(name + ".mean", e.getValue()[0]));
            state.add(entry(name + ".variance", e.getValue()[1]));
            counts.addProperty(name, optimizer.counts().get(e.getKey()));
        }
        SafetensorsWriter.write(tmp.resolve("optimizer.safetensors"), state, Map.of());
        JsonObject s = new JsonObject();
        s.addProperty("step", step);
        s.add("update_counts", counts);
        HfCheckpointWriter.writeJson(tmp.resolve("trainer_state.json"), s);
        if (Files.exists(target)) {
            deleteTree(target);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    /**
     * Removes the {@code checkpoints/incomplete-*} directories an interrupted {@link #save} left behind
     * (a kill between creating the temporary directory and renaming it). Called when a run starts; two runs
     * must not share an output directory.
     *
     * @param outputDir the run's output directory
     * @return the directories removed
     * @throws IOException if one cannot be removed
     */
    public static List<Path> removeIncomplete(Path outputDir) throws IOException {
        Path root = outputDir.resolve("checkpoints");
        List<Path> removed = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return removed;
        }
        List<Path> leftovers;
        try (Stream<Path> dirs = Files.list(root)) {
            leftovers = dirs.filter(p -> p.getFileName().toString().startsWith("incomplete-") && Files.isDirectory(p)).toList();
        }
        for (Path p : leftovers) {
            deleteTree(p);
            removed.add(p);
        }
        return removed;
    }

    private static SafetensorsWriter.Entry entry(String name, NDArray a) {
        return SafetensorsWriter.Entry.of(name, TensorDType.F32, a.getShape().getShape(), a.toFloatArray());
    }

    /**
     * Finds the newest complete checkpoint of a run.
     *
     * @param outputDir the run's output directory
     * @return its directory, or empty
     * @throws IOException if the directory cannot be listed
     */
    public static Optional<Path> latest(Path outputDir) throws IOException {
        Path root = outputDir.resolve("checkpoints");
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(p -> p.getFileName().toString().matches("step-\\d{7}"))
                    .filter(p -> Files.isRegularFile(p.resolve("trainer_state.json")))
                    .max(Comparator.comparing(p -> p.getFileName().toString()));
        }
    }

    /**
     * Restores the optimiser state and returns the step of a checkpoint.
     *
     * @param dir the checkpoint directory
     * @param optimizer the optimiser to fill
     * @param manager the owner of the moment arrays
     * @param ids stable name → parameter id
     * @return steps done
     * @throws IOException if a file is missing or malformed
     */
    public static long restoreOptimizer(Path dir, SkippingAdamW optimizer, NDManager manager, Map<String, String> ids)
            throws IOException {
        JsonObject state = LlamaConfigJson.readObject(dir.resolve("trainer_state.json"));
        JsonObject counts = state.getAsJsonObject("update_counts");
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("optimizer.safetensors"))) {
            for (String name : counts.keySet()) {
                String id = ids.get(name);
                if (id == null) {
                    throw new CheckpointException(dir, "optimizer state for unknown parameter '" + name + "'");
                }
                optimizer.restore(id, read(f, name + ".mean", manager), read(f, name + ".variance", manager),
                        counts.get(name).getAsInt());
            }
        }
        return state.get("step").getAsLong();
    }

    private static NDArray read(SafetensorsFile f, String name, NDManager manager) throws CheckpointException {
        TensorInfo info = f.tensors().get(name);
        if (info == null) {
            throw new CheckpointException(f.path(), "missing tensor '" + name + "'");
        }
        float[] values;
        try (dev.layerskip.checkpoint.MappedBytes bytes = f.map(info, 0, info.byteSize())) {
            java.nio.FloatBuffer data = bytes.buffer().asFloatBuffer();
            values = new float[data.remaining()];
            data.get(values);
        }
        return manager.create(values, new ai.djl.ndarray.types.Shape(info.shape()));
    }

    /**
     * Loads the model weights of a checkpoint.
     *
     * @param dir the checkpoint directory
     * @param manager the owner of the weights
     * @return the model
     * @throws IOException if files are missing or malformed
     */
    public static LlamaModel loadModel(Path dir, NDManager manager) throws IOException {
        try (HfCheckpoint c = HfCheckpoint.open(dir)) {
            return LlamaWeights.load(c, manager, DataType.FLOAT32);
        }
    }

    /**
     * Stable names of a model's parameters ("layer3.self_attn.qkv" style), by parameter id.
     *
     * @param model the model
     * @return id → name
     */
    public static Map<String, String> parameterNames(LlamaModel model) {
        Map<String, String> names = new java.util.HashMap<>();
        for (ai.djl.util.Pair<String, Parameter> pair : model.getParameters()) {
            names.put(pair.getValue().getId(), pair.getKey());
        }
        return names;
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
