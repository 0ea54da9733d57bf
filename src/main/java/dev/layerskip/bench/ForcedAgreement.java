package dev.layerskip.bench;

import ai.djl.ndarray.NDArray;

import dev.layerskip.model.DecoderLayer;
import dev.layerskip.model.LlamaModel;

/**
 * Makes layers {@code [from, L)} inert for a speed-up ceiling: their attention output and MLP
 * down projections are set to zero, so each of those layers adds nothing to the residual stream
 * (x_{l+1} = x_l) while costing exactly what it cost before. Exit E ≥ {@code from} then predicts
 * the full model's token at every position, every draft is accepted, and a benchmark measures the
 * implementation rather than the model's quality.
 */
public final class ForcedAgreement {

    private ForcedAgreement() {}

    /**
     * Zeroes the output projections of layers {@code from .. L-1} in place.
     *
     * @param model the model (its weights are changed; use it only for benchmarks afterwards)
     * @param from the first inert layer, in 1..L-1
     */
    public static void apply(LlamaModel model, int from) {
        int layers = model.numLayers();
        if (from < 1 || from >= layers) {
            throw new IllegalArgumentException("--agree-from must be in 1.." + (layers - 1) + ", got " + from);
        }
        for (int l = from; l < layers; l++) {
            DecoderLayer layer = model.layers().get(l);
            zero(layer.attention().out().getArray()); // [hidden, heads·headDim]
            zero(layer.mlp().down().getArray()); // [hidden, intermediate]
        }
    }

    private static void zero(NDArray weight) {
        weight.muli(0); // in place, any precision (BF16 included)
    }
}
