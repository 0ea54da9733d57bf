package dev.layerskip.checkpoint;

/** The element types this project reads from and writes to safetensors files. */
public enum TensorDType {
    /** IEEE 754 single precision. */
    F32(4),
    /** IEEE 754 half precision. */
    F16(2),
    /** bfloat16: the upper half of an F32; converted in Java because DJL's BF16 aborts the JVM. */
    BF16(2);

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
                "unsupported dtype '" + name + "' (supported: F32, F16, BF16)");
    }
}
