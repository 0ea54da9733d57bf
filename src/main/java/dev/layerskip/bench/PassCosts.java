package dev.layerskip.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.IntraOpThreads;
import dev.layerskip.model.KvCache;
import dev.layerskip.model.LlamaModel;

import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * The measured costs that a self-speculative round is made of, each timed on its own (median of
 * several runs after a warm-up, with a cache already holding {@code context} positions):
 * <ul>
 *   <li>{@link #fullStepMs}: one autoregressive step, one position through layers [0, L) and the head;
 *   <li>{@link #draftStepMs}: one draft step, one position through [0, E) and the head;
 *   <li>{@link #verifyMs}: one verification, one position through [0, E), then d+1 positions through
 *       [E, L) and the head;
 *   <li>{@link #prefillMs}: a prompt of n positions through [0, L) and the head of its last position.
 * </ul>
 * From these, the speed-up of self-speculative decoding with per-draft acceptance α is predicted as
 * {@code c_full · (1 − α^(d+1)) / (1 − α) / (d · c_draft + c_verify)}: the expected tokens per round
 * (Leviathan et al., 2023, with drafts accepted independently with probability α) times the cost
 * of a full step, over the cost of a round. With α = 1 it is the ceiling {@code (d+1) · c_full /
 * (d · c_draft + c_verify)}.
 */
public final class PassCosts {

    private final LlamaModel model;
    private final int context;
    private final int repeats;

    /**
     * @param model the model
     * @param context positions already in the cache when a pass is timed
     * @param repeats timed runs per measurement (the median is kept)
     */
    public PassCosts(LlamaModel model, int context, int repeats) {
        if (context < 1 || repeats < 1) {
            throw new IllegalArgumentException("context and repeats must be >= 1");
        }
        this.model = model;
        this.context = context;
        this.repeats = repeats;
    }

    /** @return ms of one autoregressive step of the full model */
    public double fullStepMs() {
        return time(0, model.numLayers(), 1, 1, context, model::exitHead);
    }

    /**
     * @param exitLayer E
     * @return ms of one draft step: one position through [0, E) and the head
     */
    public double draftStepMs(int exitLayer) {
        return draftStepMs(exitLayer, model::exitHead);
    }

    /**
     * @param exitLayer E
     * @param draftHead the draft's head (e.g. a draft vocabulary's), x_E [1, 1, hidden] to logits [1, 1, n]
     * @return ms of one draft step: one position through [0, E) and that head, its argmax copied
     */
    public double draftStepMs(int exitLayer, UnaryOperator<NDArray> draftHead) {
        return time(0, exitLayer, 1, 1, context, draftHead);
    }

    /**
     * @param exitLayer E
     * @param positions d+1
     * @return ms of one verification: one position through [0, E), then {@code positions} through [E, L) and the head
     */
    public double verifyMs(int exitLayer, int positions) {
        return time(0, exitLayer, 1, 0, context, model::exitHead)
                + time(exitLayer, model.numLayers(), positions, positions, context, model::exitHead);
    }

    /**
     * @param positions the prompt length n
     * @return ms to prefill n positions into an empty cache (the head runs on the last one only)
     */
    public double prefillMs(int positions) {
        return time(0, model.numLayers(), positions, 1, 0, model::exitHead);
    }

    /**
     * Predicted speed-up over autoregressive decoding.
     *
     * @param fullStepMs c_full
     * @param draftStepMs c_draft
     * @param verifyMs c_verify for d+1 positions
     * @param drafts d
     * @param acceptance α in [0, 1]
     * @return the predicted speed-up
     */
    public static double predictedSpeedup(double fullStepMs, double draftStepMs, double verifyMs, int drafts,
            double acceptance) {
        double tokens = acceptance >= 1 ? drafts + 1 : (1 - Math.pow(acceptance, drafts + 1)) / (1 - acceptance);
        return tokens * fullStepMs / (drafts * draftStepMs + verifyMs);
    }

    /** Median ms of layers [from, to) over {@code positions} new positions after {@code start} cached ones, then the head over the last {@code headRows}. */
    private double time(int from, int to, int positions, int headRows, int start, UnaryOperator<NDArray> head) {
        InferenceMode.enterOnThisThread();
        double[] ms = new double[repeats];
        try (IntraOpThreads.Scope threads = IntraOpThreads.use(model.config()); // as the generators decode
                NDManager manager = model.manager().newSubManager();
                KvCache cache = new KvCache(manager, model.config(), 1, start + positions, model.numLayers())) {
            NDArray x = manager.randomNormal(new Shape(1, positions, model.config().hiddenSize())); // [1, positions, hidden]
            for (int r = -2; r < repeats; r++) { // two warm-up runs
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    long t0 = System.nanoTime();
                    NDArray y = model.forwardLayers(x, from, to, cache, start); // [1, positions, hidden]
                    if (headRows > 0) {
                        NDArray rows = y.get(new NDIndex().addAllDim().addSliceDim(positions - headRows, positions)); // [1, headRows, hidden]
                        head.apply(rows).argMax(2).toLongArray(); // greedy: ids copied, as the generators do
                    } else {
                        y.toFloatArray();
                    }
                    if (r >= 0) {
                        ms[r] = (System.nanoTime() - t0) / 1e6;
                    }
                }
            }
        }
        Arrays.sort(ms);
        return ms[repeats / 2];
    }
}
