package dev.layerskip.checkpoint;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;

/**
 * Catches weights whose values are finite but cannot be what the dtype label says, chiefly F16 data
 * labelled BF16 in a safetensors header (both are 2 bytes, so the offsets check cannot see it): F16 bits
 * read as BF16 turn an embedding's typical magnitudes (1e-3..1e-1) into 1e-27..1e-9 and norm weights
 * of about v into about v^8/128 (5 becomes 2048). The rule is the median absolute value of the non-zero, finite
 * elements (a few rows sampled evenly, read from the file before anything is allocated): for the token
 * embedding it must lie in [{@value #EMBEDDING_MIN}, {@value #EMBEDDING_MAX}], for every RMSNorm weight in
 * [{@value #NORM_MIN}, {@value #NORM_MAX}]. Real checkpoints sit well inside both ranges (embeddings are
 * initialised with std 0.02 and stay near it, norm weights start at 1).
 */
public final class DTypeLabelCheck {

    /** The smallest plausible median |x| of a token embedding. */
    public static final double EMBEDDING_MIN = 1e-5;
    /** The largest plausible median |x| of a token embedding. */
    public static final double EMBEDDING_MAX = 1e2;
    /** The smallest plausible median |x| of an RMSNorm weight. */
    public static final double NORM_MIN = 1e-6;
    /** The largest plausible median |x| of an RMSNorm weight. */
    public static final double NORM_MAX = 1e3;
    /** The most elements sampled from one tensor. */
    static final long SAMPLE = 1 << 16;
    private static final String EMBEDDING = "model.embed_tokens.weight";

    private DTypeLabelCheck() {}

    /**
     * Checks the embedding and the norm weights among the given tensors.
     *
     * @param checkpoint the open checkpoint (shapes already verified)
     * @param names the tensors the model uses
     * @throws CheckpointException naming the first implausible tensor, its median and its dtype label
     */
    public static void verify(HfCheckpoint checkpoint, Collection<String> names) throws CheckpointException {
        for (String name : names) {
            boolean embedding = name.equals(EMBEDDING);
            if (!embedding && !name.endsWith("norm.weight")) {
                continue;
            }
            SafetensorsFile file = checkpoint.file(name);
            if (file == null) {
                continue; // reported as missing by the shape check
            }
            TensorInfo info = file.tensors().get(name);
            if (!info.dtype().isFloat()) {
                continue; // an integer label is refused where a float is needed (CompressedTensorsInt8 checks)
            }
            double median = medianAbs(file, info, info.dtype());
            double min = embedding ? EMBEDDING_MIN : NORM_MIN;
            double max = embedding ? EMBEDDING_MAX : NORM_MAX;
            if (Double.isNaN(median) || (median >= min && median <= max)) {
                continue; // no non-zero finite value to judge, or plausible
            }
            StringBuilder m = new StringBuilder("tensor '" + name + "' is labelled " + info.dtype() + " but its values are"
                    + " implausibly " + (median < min ? "small" : "large") + " for " + (embedding ? "a token embedding"
                    : "an RMSNorm weight") + " (median |x| " + format(median) + ", plausible " + format(min) + ".."
                    + format(max) + ")");
            if (info.dtype() == TensorDType.BF16) {
                double asHalf = medianAbs(file, info, TensorDType.F16);
                if (asHalf >= min && asHalf <= max) {
                    m.append("; read as F16 its median |x| would be ").append(format(asHalf));
                }
                m.append(": the dtype label in the safetensors header is probably wrong (F16 data labelled BF16?)");
            } else {
                m.append(": the dtype label in the safetensors header is probably wrong, or the checkpoint is damaged");
            }
            throw new CheckpointException(file.path(), m.toString());
        }
    }

    /** The median |x| of the non-zero finite elements of evenly spaced rows, read as {@code as}; NaN if none. */
    static double medianAbs(SafetensorsFile file, TensorInfo info, TensorDType as) throws CheckpointException {
        long[] shape = info.shape();
        long rows = shape.length <= 1 ? 1 : shape[0]; // a vector is one row
        long columns = info.elementCount() / Math.max(1, rows);
        long rowBytes = columns * info.dtype().bytes();
        long take = Math.max(1, Math.min(rows, SAMPLE / Math.max(1, columns)));
        long perRow = Math.min(columns, SAMPLE);
        float[] values = new float[Math.toIntExact(take * perRow)];
        int n = 0;
        for (long k = 0; k < take; k++) {
            long row = k * rows / take;
            try (MappedBytes mapped = file.map(info, row * rowBytes, perRow * info.dtype().bytes())) {
                ByteBuffer bytes = mapped.buffer();
                for (long j = 0; j < perRow; j++) {
                    float x = switch (as) {
                        case F32 -> bytes.getFloat();
                        case F16 -> HalfFloats.halfToFloat(bytes.getShort());
                        case BF16 -> HalfFloats.bf16ToFloat(bytes.getShort());
                        case I8 -> bytes.get();
                    };
                    if (x != 0 && Float.isFinite(x)) { // non-finite values are the finiteness check's to report
                        values[n++] = Math.abs(x);
                    }
                }
            }
        }
        if (n == 0) {
            return Double.NaN;
        }
        Arrays.sort(values, 0, n);
        return values[n / 2];
    }

    private static String format(double x) {
        return String.format(Locale.ROOT, "%.3g", x);
    }
}
