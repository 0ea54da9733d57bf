package dev.layerskip.model;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

/**
 * How to load a checkpoint.
 *
 * @param device where the weights live ({@code Device.cpu()} or {@code Device.gpu()})
 * @param precision the weight type of the projections and embeddings ({@link WeightPrecision#AUTO}: the
 *     checkpoint's type where the device computes it well)
 * @param layout how projections are laid out for the products ({@link WeightLayout#AUTO}: packed
 *     for oneDNN on the CPU when it pays)
 * @param kvCache the element type of the KV caches ({@link KvCacheType#AUTO}: float32 on the CPU, the 16-bit
 *     weight type on a GPU)
 */
public record LoadOptions(Device device, WeightPrecision precision, WeightLayout layout, KvCacheType kvCache) {

    /** FP32 on the CPU, weights laid out automatically. */
    public static final LoadOptions CPU_FLOAT32 = new LoadOptions(Device.cpu(), DataType.FLOAT32);

    /** The defaults: the CPU, the weight type and the layout chosen from the checkpoint and the CPU. */
    public static final LoadOptions CPU_DEFAULTS = new LoadOptions(Device.cpu(), WeightPrecision.AUTO, WeightLayout.AUTO);

    /**
     * Options with the {@link KvCacheType#AUTO} cache type.
     *
     * @param device where the weights live
     * @param precision the weight type
     * @param layout how projections are laid out
     */
    public LoadOptions(Device device, WeightPrecision precision, WeightLayout layout) {
        this(device, precision, layout, KvCacheType.AUTO);
    }

    /**
     * Options with a fixed weight type and the {@link WeightLayout#AUTO} layout.
     *
     * @param device where the weights live
     * @param weightType FLOAT32, FLOAT16 or BFLOAT16
     */
    public LoadOptions(Device device, DataType weightType) {
        this(device, weightType, WeightLayout.AUTO);
    }

    /**
     * Options with a fixed weight type.
     *
     * @param device where the weights live
     * @param weightType FLOAT32, FLOAT16 or BFLOAT16
     * @param layout how projections are laid out
     */
    public LoadOptions(Device device, DataType weightType, WeightLayout layout) {
        this(device, WeightPrecision.of(weightType), layout);
    }

    /** Validates the fields. */
    public LoadOptions {
        if (device == null) {
            throw new IllegalArgumentException("device must not be null");
        }
        if (precision == null) {
            throw new IllegalArgumentException("weight precision must not be null");
        }
        if (layout == null) {
            throw new IllegalArgumentException("weight layout must not be null");
        }
        if (kvCache == null) {
            throw new IllegalArgumentException("KV cache type must not be null (KvCacheType.AUTO to choose by device)");
        }
    }
}
