package dev.layerskip;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.WeightLayout;

import org.junit.jupiter.api.Assumptions;

import dev.layerskip.checkpoint.HfCheckpointWriter;
import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.RopeScaling;
import dev.layerskip.checkpoint.TensorDType;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.LlamaWeights;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Tiny random checkpoints and the committed golden fixtures, for tests. */
public final class TestCheckpoints {

    /** The Llama-3.2-like fixture: GQA, llama3 rope, tied head, BF16, two shards, tokenizer. */
    public static final Path LLAMA3 = Path.of("src/core/test/resources/fixtures/tiny-llama3");
    /** The Llama-2-like fixture: MHA, linear rope, untied head, F16, one file. */
    public static final Path LLAMA2 = Path.of("src/core/test/resources/fixtures/tiny-llama2");

    /**
     * The system property choosing the device the golden, equality and KV cache suites load their models on:
     * {@code cpu} (the default, what {@code mvn test} runs) or {@code gpu} (gpu(0); scripts/gpu-check.sh).
     */
    public static final String DEVICE_PROPERTY = "layerskip.test.device";

    /**
     * The system property choosing the weight layout of {@link #float32()}: {@code auto} (the default: oneDNN-packed
     * on the CPU) or {@code plain}, the device-neutral path a CUDA tensor takes (no packing, no mkldnn call; the core
     * module's second test execution, "device-neutral", runs the golden, equality, sampling and memory suites so).
     */
    public static final String LAYOUT_PROPERTY = "layerskip.test.layout";

    /** Prompts of the tiny fixtures' vocabulary that the self-speculative equality suites decode. */
    public static final int[][] SPECULATIVE_PROMPTS = {{1, 298, 296, 297, 36}, {1, 57, 283, 14}, {1, 120, 261, 264, 273, 125, 288}};

    /** The refusal of --pipelined on gpu(0) (DeviceThreads); the CLI test expects it too. */
    public static final String PIPELINED_ON_GPU0 = "--pipelined (the two-thread self-speculative pipeline) is not available on"
            + " device gpu(0): its drafting and verifying threads would queue on one CUDA stream; drop --pipelined to"
            + " decode in rounds";

    private TestCheckpoints() {}

    /**
     * A tiny random model whose final norm is scaled to overflow: its logits are infinite or NaN.
     *
     * @param manager the owner of the weights
     * @return the model
     */
    public static LlamaModel overflowingHead(NDManager manager) {
        LlamaModel model = randomModel(manager, tinyConfig(), 11);
        ai.djl.ndarray.NDArray norm = model.norm().weight().getArray();
        norm.muli(Float.MAX_VALUE / Math.max(1f, norm.abs().max().getFloat()));
        return model;
    }

    /** The message for gpu(0) on this build (the CPU native library, PyTorch 2.7.1); the CLI and Criteria tests expect it. */
    public static final String CPU_BUILD_GPU0 = "device gpu(0) needs PyTorch's CUDA build, and this engine is the CPU"
            + " build (PyTorch 2.7.1, pytorch-native-cpu): build with mvn -Pcuda (CUDA native library"
            + " ai.djl.pytorch:pytorch-native-cu128:2.7.1:linux-x86_64) and run on a machine with an NVIDIA GPU, or use"
            + " the CPU (--device cpu)";


    /**
     * @return the layout {@value #LAYOUT_PROPERTY} names: AUTO unless it says plain
     * @throws IllegalArgumentException naming the property when it is neither auto nor plain
     */
    public static WeightLayout layout() {
        String name = System.getProperty(LAYOUT_PROPERTY, "auto").trim();
        switch (name) {
            case "auto":
                return WeightLayout.AUTO;
            case "plain":
                return WeightLayout.PLAIN;
            default:
                throw new IllegalArgumentException("system property " + LAYOUT_PROPERTY + " must be auto or plain, got '" + name + "'");
        }
    }

    /**
     * @return the device {@value #DEVICE_PROPERTY} names: the CPU unless it says gpu
     * @throws IllegalArgumentException naming the property when it is neither cpu nor gpu
     */
    public static Device device() {
        String name = System.getProperty(DEVICE_PROPERTY, "cpu").trim();
        switch (name) {
            case "cpu":
                return Device.cpu();
            case "gpu":
                return Device.gpu();
            default:
                throw new IllegalArgumentException("system property " + DEVICE_PROPERTY + " must be cpu or gpu, got '" + name + "'");
        }
    }

    /**
     * @return float32 weights on the test device in the test layout ({@link LoadOptions#CPU_FLOAT32} unless the
     *     properties say gpu or plain)
     */
    public static LoadOptions float32() {
        return new LoadOptions(device(), DataType.FLOAT32, layout());
    }

    /**
     * Load options from a test's parameters, on the CPU.
     *
     * @param dtype float32, bfloat16 or int8
     * @param layout PLAIN, PACKED or INT8 (INT8 goes with int8 only); skips packed bfloat16 where this CPU cannot pack it
     * @return the options
     */
    public static LoadOptions options(String dtype, String layout) {
        if (dtype.equals("int8")) {
            if (!layout.equals("INT8")) {
                throw new IllegalArgumentException("int8 loads with the INT8 layout, got " + layout);
            }
            return new LoadOptions(Device.cpu(), dev.layerskip.model.WeightPrecision.INT8, WeightLayout.AUTO);
        }
        DataType type = dtype.equals("bfloat16") ? DataType.BFLOAT16 : DataType.FLOAT32;
        assumePackable(type, WeightLayout.valueOf(layout));
        return new LoadOptions(Device.cpu(), type, WeightLayout.valueOf(layout));
    }

    /** @return a 3-layer GQA config with a 48-position context */
    public static LlamaConfig tinyConfig() {
        return new LlamaConfig(32, 64, 3, 4, 2, 8, 1e-5, 10000, RopeScaling.NONE, true, 50, 48, 1, List.of(2), "float32");
    }

    /**
     * Builds a random model in memory.
     *
     * @param manager the owner of the weights
     * @param config the configuration
     * @param seed the seed
     * @return the model
     */
    public static LlamaModel randomModel(NDManager manager, LlamaConfig config, long seed) {
        LlamaModel model = new LlamaModel(manager, config, DataType.FLOAT32);
        LlamaWeights.initRandom(model, manager, seed, 0.3f);
        return model;
    }

    /**
     * Writes a random checkpoint directory.
     *
     * @param dir the directory
     * @param config the configuration
     * @param dtype the stored type
     * @param maxShardBytes shard size limit
     * @throws IOException if writing fails
     */
    public static void writeRandom(Path dir, LlamaConfig config, TensorDType dtype, long maxShardBytes) throws IOException {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LlamaModel model = randomModel(manager, config, 1);
            HfCheckpointWriter.write(dir, config, LlamaWeights.toHf(model, dtype), maxShardBytes);
        }
    }

    /**
     * Skips a case that needs oneDNN-packed bfloat16 weights on a CPU whose oneDNN cannot pack them (no AVX-512):
     * the same test still runs its bfloat16-plain and float32-packed cases there.
     *
     * @param type the case's weight type
     * @param layout the case's layout
     */
    public static void assumePackable(DataType type, WeightLayout layout) {
        Assumptions.assumeTrue(layout != WeightLayout.PACKED || type != DataType.BFLOAT16 || WeightLayout.canPack(type),
                "this CPU's oneDNN cannot pack bfloat16 weights (needs AVX-512)");
    }
}
