package dev.layerskip.model;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.checkpoint.LlamaConfig;

/**
 * How projection weights are laid out for the engine's matrix products.
 *
 * <p>{@link #PACKED} lays each FLOAT32 or BF16 projection out once at load time for oneDNN (see
 * {@link EngineOps#pack}): one-row products read the weight at close to the memory's speed, and
 * products over several rows (draft verification, prefill) cost about as much as one row. It is
 * CPU-only and inference-only (packed weights cannot be saved or trained). Each packed product is a
 * TorchScript call; since inference runs its products inside the fused helper calls ({@link FusedOps})
 * anyway, packing pays on small models too (the demo, hidden 192, decodes ~1.3x faster packed than plain
 * in float32), so {@link #AUTO} packs whenever it can. With a tied LM head the model keeps a packed copy
 * of the embedding for the head.
 */
public enum WeightLayout {
    /** {@link #PACKED} where it works (CPU, FLOAT32 or BF16 that this CPU's oneDNN packs), else {@link #PLAIN}. */
    AUTO,
    /** The weights as loaded; PyTorch's default products. */
    PLAIN,
    /** Prepacked for oneDNN. */
    PACKED,
    /**
     * Quantized to int8 per output channel at load time and laid out once for FBGEMM's int8 products
     * ({@link Int8Weights}); what {@code --dtype int8} loads. CPU inference only; never chosen by {@link #AUTO}.
     */
    INT8;


    /**
     * Resolves {@link #AUTO} and checks that {@link #PACKED} can work.
     *
     * @param device where the weights live
     * @param weightType their type
     * @param config the model configuration
     * @return PLAIN, PACKED or INT8
     * @throws IllegalArgumentException if PACKED was asked for where it cannot work (named)
     */
    public WeightLayout resolve(Device device, DataType weightType, LlamaConfig config) {
        boolean possible = device.isGpu() ? false : weightType == DataType.FLOAT32 || weightType == DataType.BFLOAT16;
        switch (this) {
            case INT8:
                Int8Weights.requireSupported(device);
                if (weightType != DataType.FLOAT32) {
                    throw new IllegalArgumentException("int8 weights compute in float32, got " + weightType);
                }
                return INT8;
            case PLAIN:
                return PLAIN;
            case PACKED:
                if (!possible) {
                    throw new IllegalArgumentException("weight layout 'packed' needs the CPU and float32 or bfloat16 weights, got "
                            + weightType + " on " + device);
                }
                if (!canPack(weightType)) {
                    throw new IllegalArgumentException("weight layout 'packed': this CPU's oneDNN cannot pack "
                            + weightType + " weights (bfloat16 needs AVX-512)");
                }
                return PACKED;
            default:
                return possible && canPack(weightType) ? PACKED : PLAIN; // pays at every size: products run inside fused calls
        }
    }

    /**
     * Whether this CPU's oneDNN packs weights of a type (float32 everywhere; bfloat16 only with AVX-512).
     *
     * @param weightType FLOAT32 or BFLOAT16
     * @return whether {@link #PACKED} works for it here
     */
    public static boolean canPack(DataType weightType) {
        try (NDManager probe = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray w = probe.ones(new Shape(16, 16)); // [out, in]
            if (weightType == DataType.BFLOAT16) {
                w = EngineOps.toBf16(w);
            }
            EngineOps.pack(w);
            return true;
        } catch (EngineException e) {
            return false; // e.g. BF16 on a CPU without AVX-512: the plain layout works everywhere
        }
    }
}
