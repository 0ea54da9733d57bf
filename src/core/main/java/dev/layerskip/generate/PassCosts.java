package dev.layerskip.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.model.ForwardPath;
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

    /** The most timed runs of one measurement. */
    public static final int MAX_REPEATS = 500;

    private final LlamaModel model;
    private final int context;
    private final int repeats;
    private final double budgetMs;
    private final int warmups;

    /**
     * @param model the model
     * @param context positions already in the cache when a pass is timed
     * @param repeats timed runs per measurement (the median is kept)
     */
    public PassCosts(LlamaModel model, int context, int repeats) {
        this(model, context, repeats, 0);
    }

    /**
     * Costs timed after one warm-up run for at least {@code repeats} runs and, past them, until
     * {@code budgetMs} is spent (at most {@value #MAX_REPEATS} runs): cheap passes get many runs, so that
     * their median is that of a warm JVM even when timing starts cold, and costly ones few.
     *
     * @param model the model
     * @param context positions already in the cache when a pass is timed
     * @param repeats the fewest timed runs per measurement
     * @param budgetMs keep timing until this many ms are spent on one measurement
     */
    public PassCosts(LlamaModel model, int context, int repeats, double budgetMs) {
        if (context < 1 || repeats < 1 || !(budgetMs >= 0)) {
            throw new IllegalArgumentException("context and repeats must be >= 1 and the budget >= 0");
        }
        this.budgetMs = budgetMs;
        this.warmups = budgetMs > 0 ? 1 : 2;
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
     * @param from the first layer
     * @param to one past the last layer
     * @param positions new positions in the pass
     * @param withHead whether the full head scores every position (argmax ids copied), else the output is copied
     * @return ms of layers [from, to) over that many positions
     */
    public double passMs(int from, int to, int positions, boolean withHead) {
        return time(from, to, positions, withHead ? positions : 0, context, model::exitHead);
    }

    /**
     * @param rows positions the head scores at once
     * @param head a head, x [1, rows, hidden] to logits [1, rows, n]
     * @return ms of that head (final norm and projection) over {@code rows} positions, argmax ids copied
     */
    public double headMs(int rows, UnaryOperator<NDArray> head) {
        return time(0, 0, rows, rows, context, head);
    }

    /**
     * Times one layer over one position on a drafting thread of {@link SpeculativePipeline} and, at the
     * same time, one layer over {@code positions} on the calling thread: each thread's pass while the
     * other runs, as the pipeline's drafter and verifier share the machine.
     *
     * @param positions the verifier's positions
     * @return {ms of the drafter's layer, ms of the verifier's layer}, measured concurrently
     */
    public double[] concurrentLayerMs(int positions) {
        java.util.concurrent.Future<Double> drafter = SpeculativePipeline.submitToDrafter(() -> {
            IntraOpThreads.setForThisThread(model);
            return passMs(0, 1, 1, false);
        });
        double verifier = passMs(0, 1, positions, false);
        try {
            return new double[] {drafter.get(), verifier};
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while timing the pipeline's passes", e);
        }
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
        double[] ms = new double[Math.max(repeats, MAX_REPEATS)];
        int timed = 0;
        long begin = System.nanoTime();
        try (IntraOpThreads.Scope threads = IntraOpThreads.use(model); // as the generators decode
                NDManager manager = model.manager().newSubManager();
                KvCache cache = new KvCache(manager, model.config(), 1, start + positions, model.numLayers(),
                        model.kvCacheType())) {
            NDArray x = manager.randomNormal(new Shape(1, positions, model.config().hiddenSize())); // [1, positions, hidden]
            for (int r = -warmups; r < repeats || r < MAX_REPEATS && (System.nanoTime() - begin) / 1e6 < budgetMs; r++) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    long t0 = System.nanoTime();
                    NDArray y = model.forwardLayers(x, from, to, cache, start, ForwardPath.FUSED); // [1, positions, hidden]
                    if (headRows > 0) {
                        NDArray rows = y.get(new NDIndex().addAllDim().addSliceDim(positions - headRows, positions)); // [1, headRows, hidden]
                        head.apply(rows).argMax(2).toLongArray(); // greedy: ids copied, as the generators do
                    } else {
                        y.toFloatArray();
                    }
                    if (r >= 0) {
                        ms[r] = (System.nanoTime() - t0) / 1e6;
                        timed = r + 1;
                    }
                }
            }
        }
        Arrays.sort(ms, 0, timed);
        return ms[timed / 2];
    }
}
