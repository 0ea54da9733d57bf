package dev.layerskip.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.Projection;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The engine's limit for decoding this model: every projection matrix a full decoding step reads
 * (q/k/v, o, gate/up and down of each layer, and the LM head) multiplied by one row, back to back,
 * with nothing else in between. Its time is the floor of one autoregressive step on this machine,
 * engine and precision, and the model's weight bytes over that time are the streaming bandwidth
 * the engine reaches; decoding's achieved GB/s is compared with it.
 *
 * @param weightBytes bytes of the projection matrices (what one full step reads)
 * @param productMs median ms of the one-row products over all of them
 */
public record WeightStream(long weightBytes, double productMs) {

    /** Validates the fields. */
    public WeightStream {
        if (weightBytes <= 0 || !(productMs > 0) || !Double.isFinite(productMs)) {
            throw new IllegalArgumentException("weight bytes and time must be positive and finite");
        }
    }

    /** @return the achieved streaming bandwidth in GB/s (10^9 bytes per second) */
    public double gigabytesPerSecond() {
        return weightBytes / productMs / 1e6;
    }

    /**
     * Measures it.
     *
     * @param model the model
     * @param repeats timed passes (after two warm-ups); the median is kept
     * @return the measurement
     */
    public static WeightStream measure(LlamaModel model, int repeats) {
        InferenceMode.enterOnThisThread();
        List<Projection> weights = model.projections();
        long bytes = 0;
        int bytesPerWeight = model.layout() == dev.layerskip.model.WeightLayout.INT8 ? 1 : model.weightType().getNumOfBytes();
        for (Projection w : weights) {
            bytes += w.shape().size() * bytesPerWeight;
        }
        double[] ms = new double[Math.max(1, repeats)];
        try (NDManager manager = model.manager().newSubManager()) {
            List<NDArray> inputs = new ArrayList<>();
            for (Projection w : weights) {
                inputs.add(manager.randomNormal(new Shape(1, 1, w.shape().get(1)))); // [1, 1, in]
            }
            for (int r = -2; r < ms.length; r++) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    long t0 = System.nanoTime();
                    for (int i = 0; i < weights.size(); i++) {
                        weights.get(i).apply(inputs.get(i)); // [1, 1, out]
                    }
                    if (r >= 0) {
                        ms[r] = (System.nanoTime() - t0) / 1e6;
                    }
                }
            }
        }
        Arrays.sort(ms);
        return new WeightStream(bytes, ms[ms.length / 2]);
    }
}
