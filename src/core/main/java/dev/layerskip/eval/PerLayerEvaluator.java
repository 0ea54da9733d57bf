package dev.layerskip.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.model.ForwardPath;
import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.LlamaModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Mean next-token NLL and perplexity at every exit layer 1..L in one pass over the model: each
 * window of tokens goes through the layers once, and after every layer the shared exit head scores
 * the next tokens (LayerSkip's per-layer evaluation, <a
 * href="https://arxiv.org/abs/2404.16710">Elhoushi et al., 2024</a>).
 */
public final class PerLayerEvaluator {

    private final LlamaModel model;
    private final int window;

    /**
     * Creates the evaluator.
     *
     * @param model the model
     * @param window the most tokens per window: the first window-1 go through the model and predict
     *     the next ones, so a window holds at most the context length + 1 tokens
     */
    public PerLayerEvaluator(LlamaModel model, int window) {
        if (window < 2 || window > model.config().maxPositions() + 1) {
            throw new IllegalArgumentException(
                    "window must be in [2, " + (model.config().maxPositions() + 1) + "], got " + window);
        }
        this.model = model;
        this.window = window;
    }

    /**
     * Scores a token sequence, split into consecutive windows (each predicts its own next tokens).
     *
     * @param ids the tokens, at least 2
     * @return one result per exit layer, 1..L
     */
    public List<LayerPerplexity> evaluate(int[] ids) {
        if (ids.length < 2) {
            throw new IllegalArgumentException("need at least 2 tokens to score, got " + ids.length);
        }
        List<int[]> windows = new ArrayList<>();
        for (int begin = 0; begin + 1 < ids.length; begin += window - 1) {
            windows.add(Arrays.copyOfRange(ids, begin, Math.min(ids.length, begin + window)));
        }
        return evaluate(windows.toArray(new int[0][]));
    }

    /**
     * Scores separate windows (e.g. held-out training chunks), each predicting its own next tokens.
     * Grad mode is off while scoring and restored afterwards, so training can call this between steps.
     *
     * @param windows the windows, each of 2..window tokens
     * @return one result per exit layer, 1..L
     */
    public List<LayerPerplexity> evaluate(int[][] windows) {
        int layers = model.numLayers();
        double[] nllSum = new double[layers];
        long predicted = 0;
        try (InferenceMode.NoGrad ignored = InferenceMode.noGrad(); NDManager manager = model.manager().newSubManager()) {
            for (int[] chunk : windows) {
                if (chunk.length < 2 || chunk.length > window) {
                    throw new IllegalArgumentException("a window must have 2.." + window + " tokens, got " + chunk.length);
                }
                scoreWindow(manager, chunk, nllSum);
                predicted += chunk.length - 1;
            }
        }
        if (predicted == 0) {
            throw new IllegalArgumentException("no windows to score");
        }
        List<LayerPerplexity> out = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            out.add(new LayerPerplexity(l + 1, nllSum[l] / predicted, predicted));
        }
        return out;
    }

    private void scoreWindow(NDManager manager, int[] chunk, double[] nllSum) {
        int t = chunk.length - 1; // positions that predict a next token; the last token is only a target
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray input = manager.create(Arrays.copyOf(chunk, t)).reshape(1, t); // [1, seq]
            NDArray targets = manager.create(Arrays.copyOfRange(chunk, 1, t + 1))
                    .toType(DataType.INT64, false)
                    .reshape(1, t, 1); // [1, seq, 1]
            NDArray hidden = model.embed(input); // [1, seq, hidden]
            for (int l = 0; l < model.numLayers(); l++) {
                hidden = model.forwardLayers(hidden, l, l + 1, null, 0, ForwardPath.FUSED); // [1, seq, hidden]
                try (NDScope layerScope = new NDScope()) {
                    layerScope.suppressNotUsedWarning();
                    NDArray logProbs = model.exitHead(hidden, ForwardPath.FUSED).logSoftmax(2); // [1, seq, vocab]
                    nllSum[l] -= logProbs.gather(targets, 2).toType(DataType.FLOAT64, false).sum().getDouble();
                }
            }
        }
    }
}
