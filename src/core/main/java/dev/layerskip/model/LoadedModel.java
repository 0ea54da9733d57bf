package dev.layerskip.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.checkpoint.CheckpointException;
import dev.layerskip.checkpoint.GenerationDefaults;
import dev.layerskip.checkpoint.HfCheckpoint;
import dev.layerskip.checkpoint.SpeculationDefaults;
import dev.layerskip.checkpoint.TensorDType;
import dev.layerskip.checkpoint.TensorEdit;
import dev.layerskip.tokenizer.HfTextTokenizer;
import dev.layerskip.tokenizer.TextTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A checkpoint directory loaded for use: the model with its weights in their own manager, the
 * tokenizer (when the directory has a {@code tokenizer.json}) and the generation defaults.
 * Closing it frees the weights.
 */
public final class LoadedModel implements AutoCloseable {

    private final Path directory;
    private final NDManager manager;
    private final LlamaModel model;
    private final TextTokenizer tokenizer;
    private final GenerationDefaults defaults;
    private final TensorDType storedType;
    private final Optional<SpeculationDefaults> speculationDefaults;
    private final double loadSeconds;

    private LoadedModel(Path directory, NDManager manager, LlamaModel model, TextTokenizer tokenizer,
            GenerationDefaults defaults, TensorDType storedType, Optional<SpeculationDefaults> speculationDefaults,
            double loadSeconds) {
        this.loadSeconds = loadSeconds;
        this.speculationDefaults = speculationDefaults;
        this.directory = directory;
        this.manager = manager;
        this.model = model;
        this.tokenizer = tokenizer;
        this.defaults = defaults;
        this.storedType = storedType;
    }

    /**
     * Loads a Hugging Face Llama checkpoint directory.
     *
     * @param directory the directory with config.json and safetensors weights
     * @param options device, weight precision and layout
     * @return the loaded model
     * @throws CheckpointException if a file is missing or invalid (the message names it)
     * @throws IllegalArgumentException if the device is a GPU this engine cannot use ({@link DeviceCheck})
     */
    public static LoadedModel load(Path directory, LoadOptions options) throws CheckpointException {
        return load(directory, options, TensorEdit.NONE);
    }

    /**
     * Loads a Hugging Face Llama checkpoint directory with its tensors edited as they are read (see {@link
     * TensorEdit}; the files are not changed).
     *
     * @param directory the directory with config.json and safetensors weights
     * @param options device, weight precision and layout
     * @param edit applied to every stored tensor before it is converted, packed or quantized
     * @return the loaded model
     * @throws CheckpointException if a file is missing or invalid (the message names it)
     * @throws IllegalArgumentException if the device is a GPU this engine cannot use ({@link DeviceCheck})
     */
    public static LoadedModel load(Path directory, LoadOptions options, TensorEdit edit) throws CheckpointException {
        long start = System.nanoTime();
        DeviceCheck.require(options.device());
        NDManager manager = NDManager.newBaseManager(options.device(), "PyTorch");
        try (HfCheckpoint checkpoint = HfCheckpoint.open(directory, edit)) {
            WeightPrecision precision = checkpoint.int8Storage() != null && options.precision() == WeightPrecision.AUTO
                    ? WeightPrecision.INT8 // an int8 checkpoint loads as stored
                    : options.precision();
            DataType weightType = precision.resolve(options.device(), checkpoint.storedDType());
            WeightLayout layout = precision.layoutFor(options.layout()).resolve(options.device(), weightType, checkpoint.config());
            LlamaModel model = LlamaWeights.load(checkpoint, manager, weightType, layout, options.kvCache());
            TextTokenizer tokenizer = Files.isRegularFile(directory.resolve("tokenizer.json"))
                    ? HfTextTokenizer.load(directory)
                    : null;
            return new LoadedModel(directory, manager, model, tokenizer, checkpoint.generationDefaults(),
                    checkpoint.storedDType(), SpeculationDefaults.read(directory, model.numLayers()),
                    (System.nanoTime() - start) / 1e9);
        } catch (CheckpointException e) {
            manager.close();
            throw e;
        } catch (IOException e) {
            manager.close();
            throw new CheckpointException(directory, "cannot close checkpoint files: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** @return the directory the model was loaded from */
    public Path directory() {
        return directory;
    }

    /** @return the model */
    public LlamaModel model() {
        return model;
    }

    /** @return the tokenizer, or null when the directory has no tokenizer.json */
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    /** @return the generation defaults of the checkpoint */
    public GenerationDefaults defaults() {
        return defaults;
    }

    /** @return the self-speculative defaults saved beside the checkpoint ({@code layerskip.json}) */
    public Optional<SpeculationDefaults> speculationDefaults() {
        return speculationDefaults;
    }

    /** @return the element type the weights were stored in */
    public TensorDType storedType() {
        return storedType;
    }

    /** @return the seconds {@link #load} took: headers, checks, weights and tokenizer */
    public double loadSeconds() {
        return loadSeconds;
    }

    /** @return the manager that owns the weights */
    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
        manager.close();
    }
}
