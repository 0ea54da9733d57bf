package dev.layerskip.model;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.checkpoint.TensorDType;

import java.util.Locale;

/**
 * The weight type a user asks for: one of the four, or {@link #AUTO}, where the checkpoint and the device
 * decide (see {@link #resolve}).
 */
public enum WeightPrecision {
    /**
     * The checkpoint's own type where the device computes it well, else float32:
     * <ul>
     *   <li>BF16 checkpoints (how LayerSkip's ship) load as bfloat16 on a GPU and on a CPU with AVX512-BF16
     *       or AMX ({@code avx512_bf16} / {@code amx_bf16} in {@code /proc/cpuinfo}), where oneDNN's packed
     *       bfloat16 products are the fastest setting and hold half the bytes; elsewhere as float32 (exact).
     *   <li>F16 checkpoints load as float16 on a GPU and as float32 on a CPU: CPUs without AVX512-FP16
     *       have no float16 arithmetic, so a product over several rows (verification, prefill) costs one
     *       one-row product per row, while packed float32 costs about one for up to ~16 rows.
     *   <li>F32 checkpoints load as float32.
     * </ul>
     */
    AUTO,
    /** float32 whatever the checkpoint stores. */
    FLOAT32,
    /** float16 whatever the checkpoint stores. */
    FLOAT16,
    /** bfloat16 whatever the checkpoint stores (exact for BF16 checkpoints, rounded otherwise). */
    BFLOAT16,
    /**
     * Projections and the LM head in int8, symmetric per output channel, multiplied by FBGEMM's int8 kernel
     * with each input row quantized on the fly ({@link WeightLayout#INT8}); embeddings, norms, activations
     * between products and the KV cache in float32. CPU only.
     */
    INT8;

    /**
     * @param type FLOAT32, FLOAT16 or BFLOAT16
     * @return the precision that always gives this type
     * @throws IllegalArgumentException for another type
     */
    public static WeightPrecision of(DataType type) {
        if (type == DataType.FLOAT32) {
            return FLOAT32;
        } else if (type == DataType.FLOAT16) {
            return FLOAT16;
        } else if (type == DataType.BFLOAT16) {
            return BFLOAT16;
        }
        throw new IllegalArgumentException("dtype must be float32, float16 or bfloat16, got " + type);
    }

    /**
     * Parses a user's setting: {@code auto}, {@code float32}, {@code float16} or {@code bfloat16}.
     *
     * @param name the setting
     * @param field the name of the setting, for the message
     * @return the precision
     * @throws IllegalArgumentException naming the field and the value
     */
    public static WeightPrecision parse(String name, String field) {
        for (WeightPrecision p : values()) {
            if (p.name().toLowerCase(Locale.ROOT).equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException(field + " must be auto, float32, float16, bfloat16 or int8, got '" + name + "'");
    }

    /**
     * The weight type to load.
     *
     * @param device where the weights will live
     * @param stored the checkpoint's element type
     * @return FLOAT32, FLOAT16 or BFLOAT16
     */
    public DataType resolve(Device device, TensorDType stored) {
        return switch (this) {
            case FLOAT32 -> DataType.FLOAT32;
            case FLOAT16 -> DataType.FLOAT16;
            case BFLOAT16 -> DataType.BFLOAT16;
            case INT8 -> DataType.FLOAT32; // what the int8 products take and give, and the embeddings' type
            case AUTO -> automatic(device.isGpu(), stored, CpuFeatures.nativeBf16());
        };
    }

    /**
     * The layout this precision loads with: int8 lays its projections out itself; the others take the one asked for.
     *
     * @param requested the layout asked for (AUTO, PLAIN, PACKED or INT8)
     * @return the layout to resolve against the device
     * @throws IllegalArgumentException for int8 with a plain or packed layout, or the int8 layout without int8
     */
    public WeightLayout layoutFor(WeightLayout requested) {
        if (this == INT8) {
            if (requested != WeightLayout.AUTO && requested != WeightLayout.INT8) {
                throw new IllegalArgumentException("dtype int8 lays its projections out for FBGEMM; the weight layout must be"
                        + " auto, got " + requested.name().toLowerCase(Locale.ROOT));
            }
            return WeightLayout.INT8;
        }
        if (requested == WeightLayout.INT8) {
            throw new IllegalArgumentException("the int8 weight layout comes with dtype int8, got dtype "
                    + name().toLowerCase(Locale.ROOT));
        }
        return requested;
    }

    /** The rule of {@link #AUTO}, given what is known of the device. */
    static DataType automatic(boolean gpu, TensorDType stored, boolean cpuBf16) {
        return switch (stored) {
            case BF16 -> gpu || cpuBf16 ? DataType.BFLOAT16 : DataType.FLOAT32;
            case F16 -> gpu ? DataType.FLOAT16 : DataType.FLOAT32;
            case F32, I8 -> DataType.FLOAT32;
        };
    }
}
