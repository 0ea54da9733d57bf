package dev.layerskip.cli;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.checkpoint.CheckpointException;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;
import dev.layerskip.model.WeightLayout;

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
        float32,
        float16,
        bfloat16
    }

    @Option(names = "--model", paramLabel = "DIR",
            description = "Hugging Face checkpoint directory (default: ${DEFAULT-VALUE}).")
    Path model = DEFAULT_MODEL;

    @Option(names = "--device", paramLabel = "cpu|gpu", description = "Device (default: ${DEFAULT-VALUE}).")
    DeviceChoice device = DeviceChoice.cpu;

    @Option(names = "--dtype", paramLabel = "float32|float16|bfloat16",
            description = "Weight precision (BF16 checkpoints load exactly as bfloat16; default: ${DEFAULT-VALUE}).")
    DTypeChoice dtype = DTypeChoice.float32;

    @Option(names = "--weight-layout", paramLabel = "auto|plain|packed",
            description = "How projections are laid out for the CPU's products: packed for oneDNN (fast one-row and"
                    + " multi-row products, float32/bfloat16, inference only), plain, or auto (packed where the"
                    + " device and dtype allow; default: ${DEFAULT-VALUE}).")
    WeightLayoutChoice weightLayout = WeightLayoutChoice.auto;

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

    /** @return the chosen device */
    Device device() {
        return device == DeviceChoice.gpu ? Device.gpu() : Device.cpu();
    }

    /** @return the chosen weight type */
    DataType dataType() {
        return switch (dtype) {
            case float16 -> DataType.FLOAT16;
            case bfloat16 -> DataType.BFLOAT16;
            case float32 -> DataType.FLOAT32;
        };
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
        return LoadedModel.load(checkedDirectory(), new LoadOptions(device(), dataType(), layout()));
    }
}
