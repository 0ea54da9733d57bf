package dev.layerskip.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.model.ForwardPath;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.Scalars;

/**
 * The training forward pass of LayerSkip: layer dropout per sample, then the early-exit loss over
 * the exits the curriculum enables, all through the model's one forward path
 * ({@link LlamaModel#forwardLayers}) and shared exit head.
 *
 * <p>Skipping saves compute: a layer runs only on the samples that keep it (gathered rows), and
 * its output is scattered back as a residual update, so skipped samples pass through unchanged.
 */
public final class ExitLossForward {

    private ExitLossForward() {}

    /**
     * The loss of one batch.
     *
     * @param model the model
     * @param input [batch, seq] token ids
     * @param target [batch, seq] next-token ids, negative where padded (ignored)
     * @param skip skip[l][b]: sample b skips layer l (null: no dropout)
     * @param weights ẽ(t, l) per layer (zero: that exit is not computed)
     * @param perLayerLoss receives CE of each computed exit (NaN elsewhere); may be null
     * @return the scalar loss Σ_l ẽ(t, l)·CE_l
     */
    public static NDArray loss(LlamaModel model, NDArray input, NDArray target, boolean[][] skip, double[] weights,
            double[] perLayerLoss) {
        int layers = model.numLayers();
        NDManager manager = input.getManager();
        NDArray h = model.embed(input); // [batch, seq, hidden]
        Targets targets = new Targets(target); // prepared once, shared by every exit
        NDArray total = null;
        for (int l = 0; l < layers; l++) {
            h = runLayer(model, manager, h, l, skip == null ? null : skip[l]);
            if (weights[l] > 0) {
                NDArray ce = targets.crossEntropy(model.exitHead(h, ForwardPath.AUTOGRAD)); // []
                if (perLayerLoss != null) {
                    perLayerLoss[l] = ce.getFloat();
                }
                NDArray term = Scalars.mul(ce, weights[l]); // a scalar autograd can keep (see Scalars)
                total = total == null ? term : total.add(term);
            } else if (perLayerLoss != null) {
                perLayerLoss[l] = Double.NaN;
            }
        }
        if (total == null) {
            throw new IllegalStateException("no exit has a positive weight");
        }
        return total;
    }

    private static NDArray runLayer(LlamaModel model, NDManager manager, NDArray h, int l, boolean[] skipLayer) {
        int b = (int) h.getShape().get(0);
        int active = 0;
        if (skipLayer != null) {
            for (boolean s : skipLayer) {
                active += s ? 0 : 1;
            }
        } else {
            active = b;
        }
        if (active == b) {
            return model.forwardLayers(h, l, l + 1, null, 0, ForwardPath.AUTOGRAD);
        }
        if (active == 0) {
            return h; // the whole residual block is bypassed for every sample
        }
        long[] rows = new long[active];
        float[] scatter = new float[b * active]; // one-hot [batch, active]
        for (int i = 0, k = 0; i < b; i++) {
            if (!skipLayer[i]) {
                rows[k] = i;
                scatter[i * active + k] = 1f;
                k++;
            }
        }
        Shape shape = h.getShape();
        NDArray kept = h.get(manager.create(rows)); // [active, seq, hidden]
        NDArray delta = model.forwardLayers(kept, l, l + 1, null, 0, ForwardPath.AUTOGRAD).sub(kept); // [active, seq, hidden]
        NDArray back = manager.create(scatter, new Shape(b, active))
                .matMul(delta.reshape(active, shape.get(1) * shape.get(2))); // [batch, seq·hidden]
        return h.add(back.reshape(shape));
    }

    /**
     * Mean next-token cross-entropy over the positions whose target is not negative.
     *
     * @param logits [batch, seq, vocab]
     * @param target [batch, seq] ids, negative = ignore
     * @return the scalar mean
     */
    public static NDArray crossEntropy(NDArray logits, NDArray target) {
        return new Targets(target).crossEntropy(logits);
    }

    /** Next-token targets in the form the loss needs, built once per batch and reused at every exit. */
    private static final class Targets {
        private final Shape shape;
        private final NDArray ids;
        private final NDArray valid;
        private final NDArray count;

        Targets(NDArray target) {
            shape = target.getShape();
            NDArray t = target.toType(DataType.INT64, false); // [batch, seq]
            valid = t.gte(0).toType(DataType.FLOAT32, false); // [batch, seq]
            ids = t.maximum(0).reshape(shape.get(0), shape.get(1), 1); // [batch, seq, 1]
            count = valid.sum().maximum(1f); // []
        }

        NDArray crossEntropy(NDArray logits) {
            NDArray picked = logits.logSoftmax(2).gather(ids, 2).reshape(shape); // [batch, seq]
            return picked.mul(valid).sum().neg().div(count);
        }
    }
}
