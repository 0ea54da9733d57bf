package dev.layerskip.cli;

import ai.djl.Device;

import dev.layerskip.checkpoint.CheckpointException;
import dev.layerskip.model.DeviceThreads;
import dev.layerskip.model.KvCacheType;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;
import dev.layerskip.model.WeightLayout;
import dev.layerskip.model.WeightPrecision;

import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/** The options every command shares: which checkpoint, where, in which precision. */
final class ModelOptions {

    /** The demo model shipped in the repository, the default of {@code --model}. */
    static final Path DEFAULT_MODEL = Path.of("models", "layerskip-demo");

    /** Devices a user can pick. */
    enum DeviceChoice {
        cpu,
        gpu
    }

    /** Weight precisions a user can pick. */
    enum DTypeChoice {
        auto,
        float32,
        float16,
        bfloat16,
        int8
    }

    @Option(names = "--model", paramLabel = "DIR",
            description = "Hugging Face checkpoint directory (default: ${DEFAULT-VALUE}).")
    Path model = DEFAULT_MODEL;

    @Option(names = "--device", paramLabel = "cpu|gpu", description = "Device (default: ${DEFAULT-VALUE}).")
    DeviceChoice device = DeviceChoice.cpu;

    @Option(names = "--dtype", paramLabel = "auto|float32|float16|bfloat16|int8",
            description = "Weight precision; auto: a BF16 checkpoint loads as bfloat16 on a CPU with AVX512-BF16/AMX"
                    + " (else float32), F16 and F32 checkpoints as float32 on the CPU; int8: projections and LM head"
                    + " quantized per output channel at load, FBGEMM's int8 products, CPU only (default: ${DEFAULT-VALUE}).")
    DTypeChoice dtype = DTypeChoice.auto;

    @Option(names = "--weight-layout", paramLabel = "auto|plain|packed",
            description = "How projections are laid out for the CPU's products: packed for oneDNN (fast one-row and"
                    + " multi-row products, float32/bfloat16, inference only), plain, or auto (packed where the"
                    + " device and dtype allow; default: ${DEFAULT-VALUE}).")
    WeightLayoutChoice weightLayout = WeightLayoutChoice.auto;

    @Option(names = "--kv-cache-dtype", paramLabel = "auto|float32|float16|bfloat16",
            description = "Element type of the KV cache: a 16-bit cache halves its memory (attention still computes in"
                    + " float32); auto: float32 on the CPU, the 16-bit weight type on a GPU (default: ${DEFAULT-VALUE}).")
    String kvCacheDtype = "auto";

    /** Weight layouts a user can pick. */
    enum WeightLayoutChoice {
        auto,
        plain,
        packed
    }

    /** @return the chosen layout */
    WeightLayout layout() {
        return WeightLayout.valueOf(weightLayout.name().toUpperCase(java.util.Locale.ROOT));
    }

    /** @return the chosen KV cache type */
    KvCacheType kvCache() {
        return KvCacheType.parse(kvCacheDtype, "--kv-cache-dtype");
    }

    /** @return the chosen device */
    Device device() {
        return device == DeviceChoice.gpu ? Device.gpu() : Device.cpu();
    }

    /**
     * Refuses the two-thread pipeline on a GPU before anything loads ({@link DeviceThreads}).
     *
     * @param pipelined whether {@code --pipelined} was given (null: not said)
     * @throws IllegalArgumentException one line naming {@code --pipelined} and the device
     */
    void refusePipelineOnGpu(Boolean pipelined) {
        DeviceThreads.requirePipelineAllowed(device(), pipelined, "--pipelined");
    }

    /** @return the chosen weight precision */
    WeightPrecision precision() {
        return WeightPrecision.valueOf(dtype.name().toUpperCase(java.util.Locale.ROOT));
    }

    /**
     * @param type FLOAT32, FLOAT16 or BFLOAT16
     * @return its name as {@code --dtype} spells it
     */
    static String dtypeName(ai.djl.ndarray.types.DataType type) {
        return WeightPrecision.of(type).name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * @param model a loaded model
     * @return its weight precision as {@code --dtype} spells it ({@code int8} for the int8 layout)
     */
    static String dtypeName(dev.layerskip.model.LlamaModel model) {
        return model.layout() == WeightLayout.INT8 ? "int8" : dtypeName(model.weightType());
    }

    /**
     * @return the model directory
     * @throws CheckpointException if it does not exist (with a hint for the default)
     */
    Path checkedDirectory() throws CheckpointException {
        if (!Files.isDirectory(model)) {
            throw new CheckpointException(model, model.equals(DEFAULT_MODEL)
                    ? "the default demo model is not here; pass --model DIR (run from the repository root)"
                    : "model directory not found");
        }
        return model;
    }

    LoadedModel load() throws CheckpointException {
        return load(dev.layerskip.checkpoint.TensorEdit.NONE);
    }

    /**
     * @param edit applied to the checkpoint's tensors as they are read
     * @return the model loaded with these options
     */
    LoadedModel load(dev.layerskip.checkpoint.TensorEdit edit) throws CheckpointException {
        return LoadedModel.load(checkedDirectory(), new LoadOptions(device(), precision(), layout(), kvCache()), edit);
    }
}
