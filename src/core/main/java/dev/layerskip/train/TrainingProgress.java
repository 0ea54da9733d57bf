package dev.layerskip.train;

import dev.layerskip.eval.LayerPerplexity;

import java.nio.file.Path;
import java.util.List;

/** Receives training progress; the trainer never prints. */
public interface TrainingProgress {

    /** Ignores everything. */
    TrainingProgress NONE = new TrainingProgress() {};

    /**
     * After each optimizer step.
     *
     * @param step the 1-based number of steps done
     * @param totalSteps the planned steps
     * @param loss the step's loss (mean over micro-batches)
     * @param perExitLoss CE per exit layer (NaN where the curriculum had it off)
     * @param learningRate the learning rate used
     * @param tokensPerSecond training throughput of this step
     */
    default void onStep(long step, long totalSteps, double loss, double[] perExitLoss, double learningRate, double tokensPerSecond) {}

    /**
     * When a step is skipped because its loss or gradient norm is not finite.
     *
     * @param step the 1-based step
     * @param loss the loss
     * @param gradientNorm the global gradient norm
     */
    default void onSkippedStep(long step, double loss, double gradientNorm) {}

    /**
     * After a held-out evaluation.
     *
     * @param step steps done
     * @param layers per-layer held-out results
     */
    default void onEval(long step, List<LayerPerplexity> layers) {}

    /**
     * After a checkpoint was written.
     *
     * @param step steps done
     * @param directory the checkpoint directory
     */
    default void onCheckpoint(long step, Path directory) {}
}
