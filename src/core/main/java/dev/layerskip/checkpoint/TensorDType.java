package dev.layerskip.checkpoint;

/** The element types this project reads from and writes to safetensors files. */
public enum TensorDType {
    /** IEEE 754 single precision. */
    F32(4),
    /** IEEE 754 half precision. */
    F16(2),
    /** bfloat16: the upper half of an F32 (enters PyTorch as raw bits through the engine helper: DJL's BF16 aborts the JVM). */
    BF16(2),
    /** Signed 8-bit integers: the Linear weights of an int8 checkpoint ({@link CompressedTensorsInt8}). */
    I8(1);

    private final int bytes;

    TensorDType(int bytes) {
        this.bytes = bytes;
    }

    /** @return the size of one element in bytes */
    public int bytes() {
        return bytes;
    }

    /**
     * Parses a safetensors dtype name.
     *
     * @param name the name in the header, e.g. {@code BF16}
     * @return the type
     * @throws IllegalArgumentException for a type this project does not read
     */
    public static TensorDType fromSafetensorsName(String name) {
        for (TensorDType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException(
                "unsupported dtype '" + name + "' (supported: F32, F16, BF16, I8)");
    }

    /** @return whether this is a floating-point type (F32, F16, BF16) */
    public boolean isFloat() {
        return this != I8;
    }

    /**
     * The stored type a {@code torch_dtype} names ({@code float32}, {@code float16}, {@code bfloat16}).
     *
     * @param torchDtype the name in config.json
     * @return the type
     * @throws IllegalArgumentException for another name
     */
    public static TensorDType fromTorchDtype(String torchDtype) {
        return switch (torchDtype) {
            case "float32" -> F32;
            case "float16" -> F16;
            case "bfloat16" -> BF16;
            default -> throw new IllegalArgumentException("torch_dtype must be float32, float16 or bfloat16, got '"
                    + torchDtype + "'");
        };
    }
}
