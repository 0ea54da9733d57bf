package dev.layerskip.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.model.DecoderLayer;
import dev.layerskip.model.EngineOps;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.WeightLayout;

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
     * Zeroes the output projections of layers {@code from .. L-1} in place (int8: their scales).
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
            if (model.layout() == WeightLayout.INT8) { // FBGEMM's matrices are opaque: zero their scales instead
                zeroScales(layer.attention().outInt8().getArray()); // [2, hidden]
                zeroScales(layer.mlp().downInt8().getArray()); // [2, hidden]
                continue;
            }
            zero(layer.attention().out().getArray()); // [hidden, heads·headDim]
            zero(layer.mlp().down().getArray()); // [hidden, intermediate]
        }
    }

    /**
     * For forced agreement with a draft vocabulary: zeroes the LM head's rows of every token outside
     * the given ids (for a tied head, the embedding's rows, so those tokens also embed to zero), then
     * lays the head out again. Those tokens then score exactly 0 while the ids keep their logits, so the
     * full model's choice lies among the ids whenever one of them scores above 0, which a random head
     * gives at every step (the maximum of N symmetric random logits); a draft over the ids then proposes
     * the full model's token and every draft is accepted, as without a draft vocabulary.
     *
     * @param model the model (its head is changed; use it only for benchmarks afterwards)
     * @param ids the draft vocabulary to keep, ascending
     */
    public static void restrictHead(LlamaModel model, int[] ids) {
        int v = model.config().vocabSize();
        float[] keep = new float[v];
        for (int id : ids) {
            if (id < 0 || id >= v) {
                throw new IllegalArgumentException("draft vocabulary id " + id + " outside 0.." + (v - 1));
            }
            keep[id] = 1;
        }
        NDArray head = model.plainHead(); // [vocab, hidden]
        try (NDManager scratch = model.manager().newSubManager()) {
            NDArray mask = scratch.create(keep, new Shape(v, 1)); // [vocab, 1]
            if (EngineOps.isBf16(head)) {
                mask = EngineOps.toBf16(mask);
            } else if (head.getDataType() != DataType.FLOAT32) {
                mask = mask.toType(head.getDataType(), false);
            }
            head.muli(mask); // in place: every row outside the ids becomes 0
        }
        model.repackHead();
    }

    /** An int8 projection's companion, [2, out]: row 0 (the channels' scales) becomes 0, so every output is 0. */
    private static void zeroScales(NDArray companion) {
        dev.layerskip.model.InferenceMode.enterOnThisThread(); // the companion is an inference tensor (made at load)
        try (NDManager scratch = companion.getManager().newSubManager()) {
            NDArray keepRowSums = scratch.create(new float[] {0f, 1f}, new Shape(2, 1)); // [2, 1]
            companion.muli(keepRowSums); // in place
        }
    }

    private static void zero(NDArray weight) {
        weight.muli(0); // in place, any precision (BF16 included)
    }
}
