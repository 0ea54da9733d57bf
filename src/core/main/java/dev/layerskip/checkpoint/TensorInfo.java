package dev.layerskip.checkpoint;

import java.util.Arrays;

/**
 * One tensor entry of a safetensors header.
 *
 * @param name the tensor name
 * @param dtype the element type
 * @param shape the shape (a copy is kept)
 * @param begin the first byte, relative to the start of the data section
 * @param end one past the last byte, relative to the start of the data section
 */
public record TensorInfo(String name, TensorDType dtype, long[] shape, long begin, long end) {

    /** Validates the byte range against the shape. */
    public TensorInfo {
        shape = shape.clone();
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException(
                    "tensor '" + name + "': data_offsets [" + begin + ", " + end + "] are invalid");
        }
        long expected = elementCount(shape) * dtype.bytes();
        if (end - begin != expected) {
            throw new IllegalArgumentException(
                    "tensor '"
                            + name
                            + "': data_offsets cover "
                            + (end - begin)
                            + " bytes but shape "
                            + Arrays.toString(shape)
                            + " of "
                            + dtype
                            + " needs "
                            + expected);
        }
    }

    private static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** @return the number of elements */
    public long elementCount() {
        return elementCount(shape);
    }

    /** @return the size of the data in bytes */
    public long byteSize() {
        return end - begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t
                && name.equals(t.name)
                && dtype == t.dtype
                && Arrays.equals(shape, t.shape)
                && begin == t.begin
                && end == t.end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
