package dev.layerskip.djl;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;

import dev.layerskip.checkpoint.CheckpointException;
import dev.layerskip.checkpoint.HfCheckpoint;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.LlamaWeights;
import dev.layerskip.model.DeviceCheck;
import dev.layerskip.model.DeviceThreads;
import dev.layerskip.model.KvCacheType;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.WeightLayout;
import dev.layerskip.model.WeightPrecision;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * DJL's hook for models without a TorchScript file: builds the {@link LlamaModel} block and loads
 * a Hugging Face checkpoint's safetensors into the DJL model's manager. Named in serving.properties
 * as {@code blockFactory=dev.layerskip.djl.LayerSkipBlockFactory} (with {@code option.hasParameter=false},
 * since the weights do not come from a DJL .params file).
 *
 * <p>Arguments: {@code checkpoint} (the checkpoint directory, default the model directory),
 * {@code dtype} ({@code auto}, {@code float32}, {@code float16} or {@code bfloat16}; default {@code auto}: the
 * checkpoint's type where the device computes it well, see {@link WeightPrecision#AUTO}), {@code weight_layout}
 * and {@code device} ({@code cpu}, {@code gpu}, {@code gpu1}, ...; default the model's device).
 */
public final class LayerSkipBlockFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    /** Creates the factory (DJL instantiates it by class name). */
    public LayerSkipBlockFactory() {}

    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) throws IOException {
        Path dir;
        WeightPrecision precision;
        Device device;
        WeightLayout layout;
        KvCacheType kvCache;
        try {
            checkEngine(engineName(model), modelPath);
        } catch (CheckpointException e) {
            model.close(); // DJL does not close a model whose block factory fails
            throw e;
        }
        try {
            dir = CheckpointLocation.resolve(modelPath, arguments);
            ArgumentValues values = new ArgumentValues(arguments, "argument");
            precision = precision(values.string("dtype", "auto"));
            layout = weightLayout(values.string("weight_layout", "auto"));
            kvCache = KvCacheType.parse(values.string("kv_cache_dtype", "auto"), "kv_cache_dtype");
            String d = values.string("device", null);
            device = d == null ? model.getNDManager().getDevice() : Device.fromName(d);
            new LoadOptions(device, precision, layout, kvCache);
            precision.layoutFor(layout); // int8 with a plain or packed layout: refused before anything loads
            if (!DeviceThreads.pipelineAllowedOn(device)) { // before the weights load; the CPU reads it with the translator
                DeviceThreads.requirePipelineAllowed(device, values.bool("speculative_pipeline"), "speculative_pipeline");
            }
            DeviceCheck.require(device);
        } catch (IllegalArgumentException e) {
            model.close(); // DJL does not close a model whose block factory fails
            throw new CheckpointException(modelPath == null ? Path.of(".") : modelPath, e.getMessage(), e);
        }
        // The weights get their own manager, closed by ModelResources after everything that uses them.
        NDManager weights = NDManager.newBaseManager(device, model.getNDManager().getEngine().getEngineName());
        LlamaModel block;
        try (HfCheckpoint checkpoint = HfCheckpoint.open(dir)) {
            DataType type = precision.resolve(device, checkpoint.storedDType());
            block = LlamaWeights.load(checkpoint, weights, type,
                    precision.layoutFor(layout).resolve(device, type, checkpoint.config()), kvCache);
        } catch (IOException | RuntimeException e) {
            weights.close(); // DJL does not close a model whose block fails to load
            model.close();
            throw e;
        }
        model.getNDManager().attachInternal(UUID.randomUUID().toString(), ModelResources.register(block, weights));
        return block;
    }

    static WeightLayout weightLayout(String name) {
        for (WeightLayout layout : WeightLayout.values()) {
            if (layout.name().equalsIgnoreCase(name)) {
                return layout;
            }
        }
        throw new IllegalArgumentException("argument 'weight_layout' must be auto, plain or packed, got '" + name + "'");
    }

    /**
     * Refuses any engine but PyTorch with a message that says what to set.
     *
     * @param engine the engine's name as DJL reports it
     * @param modelPath the model directory, for the message
     * @throws CheckpointException when the engine is not PyTorch
     */
    static void checkEngine(String engine, Path modelPath) throws CheckpointException {
        if (!"PyTorch".equals(engine)) {
            throw new CheckpointException(modelPath == null ? Path.of(".") : modelPath, "LayerSkipBlockFactory got the "
                    + engine + " engine, but the LayerSkip block runs on PyTorch only: set engine=PyTorch in "
                    + "serving.properties (without it DJL Serving picks its Python engine for a directory with "
                    + "config.json) or Criteria.optEngine(\"PyTorch\")");
        }
    }

    private static String engineName(Model model) {
        try {
            ai.djl.engine.Engine engine = model.getNDManager().getEngine();
            return engine != null ? engine.getEngineName()
                    : "unnamed engine of " + model.getNDManager().getClass().getSimpleName() + " (not PyTorch)";
        } catch (UnsupportedOperationException e) {
            return "unnamed engine of " + model.getNDManager().getClass().getSimpleName() + " (not PyTorch)";
        }
    }

    static WeightPrecision precision(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return WeightPrecision.parse(switch (n) {
            case "fp32" -> "float32";
            case "fp16" -> "float16";
            case "bf16" -> "bfloat16";
            default -> n;
        }, "argument 'dtype'");
    }
}
