package dev.layerskip.train;

/**
 * Optimisation settings: AdamW with linear warm-up then cosine decay, global-norm clipping and
 * gradient accumulation.
 *
 * @param steps optimizer steps
 * @param batchSize sequences per micro-batch
 * @param gradAccumulation micro-batches per optimizer step
 * @param lr peak learning rate
 * @param warmupSteps linear warm-up steps
 * @param minLrRatio the final learning rate as a fraction of the peak
 * @param weightDecay decoupled weight decay (matrices only; norms are not decayed)
 * @param beta1 Adam β1
 * @param beta2 Adam β2
 * @param eps Adam ε
 * @param clipNorm clip the global gradient norm to this (0 = off)
 */
public record OptimConfig(long steps, int batchSize, int gradAccumulation, double lr, long warmupSteps, double minLrRatio,
        double weightDecay, double beta1, double beta2, double eps, double clipNorm) {

    /** Validates the values. */
    public OptimConfig {
        if (steps < 1) {
            throw new IllegalArgumentException("optim.steps must be >= 1, got " + steps);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("optim.batch_size must be >= 1, got " + batchSize);
        }
        if (gradAccumulation < 1) {
            throw new IllegalArgumentException("optim.grad_accumulation must be >= 1, got " + gradAccumulation);
        }
        if (!(lr > 0)) {
            throw new IllegalArgumentException("optim.lr must be > 0, got " + lr);
        }
        if (warmupSteps < 0 || !(minLrRatio >= 0 && minLrRatio <= 1)) {
            throw new IllegalArgumentException("optim.warmup_steps must be >= 0 and optim.min_lr_ratio in [0, 1]");
        }
        if (!(weightDecay >= 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0)) {
            throw new IllegalArgumentException("optim: need weight_decay >= 0, beta1 and beta2 in [0, 1), eps > 0");
        }
        if (!(clipNorm >= 0)) {
            throw new IllegalArgumentException("optim.clip_norm must be >= 0, got " + clipNorm);
        }
    }

    /**
     * The learning rate at a step: linear warm-up to the peak, then cosine decay to min_lr_ratio·peak.
     *
     * @param step the 0-based optimizer step
     * @return the learning rate
     */
    public double learningRate(long step) {
        if (step < warmupSteps) {
            return lr * (step + 1) / warmupSteps;
        }
        double progress = steps <= warmupSteps ? 1 : Math.min(1, (double) (step - warmupSteps) / (steps - warmupSteps));
        double cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
        return lr * (minLrRatio + (1 - minLrRatio) * cosine);
    }
}
