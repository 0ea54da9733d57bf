package dev.layerskip.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Locale;

/**
 * The element type of the KV cache. Attention always computes in the activations' type (FLOAT32): the
 * fused helper writes new keys and values into the cache rounded to this type and widens the slots it
 * reads, so a 16-bit cache halves the cache's memory and only adds the rounding of the stored keys and
 * values (docs/cuda.md states the logit error and the speed cost).
 */
public enum KvCacheType {
    /** FLOAT32 on the CPU; on a GPU the 16-bit weight type (the compute type there), else FLOAT32. */
    AUTO,
    /** 4 bytes per element: exact. */
    FLOAT32,
    /** 2 bytes per element. */
    FLOAT16,
    /** 2 bytes per element, FLOAT32's range. */
    BFLOAT16;

    /**
     * Resolves {@link #AUTO}.
     *
     * @param device where the model lives
     * @param weightType the model's weight type
     * @return FLOAT32, FLOAT16 or BFLOAT16
     */
    public KvCacheType resolve(Device device, DataType weightType) {
        if (this != AUTO) {
            return this;
        }
        if (!device.isGpu()) {
            return FLOAT32;
        }
        return weightType == DataType.FLOAT16 ? FLOAT16 : weightType == DataType.BFLOAT16 ? BFLOAT16 : FLOAT32;
    }

    /**
     * Parses the spelling of {@code --kv-cache-dtype} and the {@code kv_cache_dtype} argument.
     *
     * @param name auto, float32, float16 or bfloat16 (any case)
     * @param field the option or argument named in the error
     * @return the type
     * @throws IllegalArgumentException naming the field and the value
     */
    public static KvCacheType parse(String name, String field) {
        for (KvCacheType t : values()) {
            if (t.label().equals(name == null ? null : name.strip().toLowerCase(Locale.ROOT))) {
                return t;
            }
        }
        throw new IllegalArgumentException("'" + field + "' must be auto, float32, float16 or bfloat16, got '" + name + "'");
    }

    /** @return the lower-case name the options use */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * @return bytes per element
     * @throws IllegalStateException for {@link #AUTO} (resolve it first)
     */
    public int bytes() {
        requireResolved();
        return this == FLOAT32 ? Float.BYTES : 2;
    }

    /**
     * Allocates a zeroed array of this type (BF16 through the engine helper: DJL cannot create it).
     *
     * @param manager the owner
     * @param shape the shape
     * @return the array
     */
    NDArray zeros(NDManager manager, Shape shape) {
        requireResolved();
        if (this == BFLOAT16) {
            try (NDArray half = manager.zeros(shape, DataType.FLOAT16)) { // same shape, 2 bytes per element
                return EngineOps.toBf16(half);
            }
        }
        return manager.zeros(shape, this == FLOAT16 ? DataType.FLOAT16 : DataType.FLOAT32);
    }

    private void requireResolved() {
        if (this == AUTO) {
            throw new IllegalStateException("resolve the KV cache type AUTO first (KvCacheType.resolve)");
        }
    }
}
