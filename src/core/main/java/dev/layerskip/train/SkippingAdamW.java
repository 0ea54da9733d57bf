package dev.layerskip.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.optimizer.Optimizer;

import dev.layerskip.model.InferenceMode;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * AdamW (decoupled weight decay, bias-corrected moments) that leaves frozen parameters entirely
 * alone: no weight decay, no moment update, no step count. DJL's own AdamW updates every parameter,
 * even one whose gradient is zero because layer dropout skipped its layer for the whole batch; that
 * would decay it and move it by its old momentum, which LayerSkip's layer dropout must not do.
 */
public final class SkippingAdamW extends Optimizer {

    private final NDManager stateManager;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Map<String, NDArray> means = new HashMap<>();
    private final Map<String, NDArray> variances = new HashMap<>();
    private final Map<String, Integer> counts = new HashMap<>();
    private Set<String> frozen = Set.of();
    private double learningRate;

    /**
     * @param stateManager owns the moment arrays
     * @param optim the optimiser settings
     */
    public SkippingAdamW(NDManager stateManager, OptimConfig optim) {
        super(new Builder());
        this.stateManager = stateManager;
        this.beta1 = optim.beta1();
        this.beta2 = optim.beta2();
        this.eps = optim.eps();
        this.weightDecay = optim.weightDecay();
        this.learningRate = optim.lr();
    }

    /** @param learningRate the learning rate of the next step */
    public void setLearningRate(double learningRate) {
        this.learningRate = learningRate;
    }

    /** @param parameterIds parameters that must not change in the next step */
    public void freeze(Set<String> parameterIds) {
        this.frozen = Set.copyOf(parameterIds);
    }

    @Override
    public void update(String parameterId, NDArray weight, NDArray grad) {
        if (frozen.contains(parameterId)) {
            return; // skipped by layer dropout for the whole step: no decay, no momentum
        }
        try (InferenceMode.NoGrad ignored = InferenceMode.noGrad(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            int t = counts.merge(parameterId, 1, Integer::sum);
            NDArray m = means.computeIfAbsent(parameterId, k -> zeros(weight));
            NDArray v = variances.computeIfAbsent(parameterId, k -> zeros(weight));
            m.muli(beta1).addi(grad.mul(1 - beta1)); // m = β1·m + (1-β1)·g
            v.muli(beta2).addi(grad.mul(grad).mul(1 - beta2)); // v = β2·v + (1-β2)·g²
            double stepSize = learningRate * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t));
            if (weightDecay > 0 && weight.getShape().dimension() >= 2) {
                weight.muli(1 - learningRate * weightDecay); // decoupled decay, matrices only
            }
            weight.subi(m.div(v.sqrt().add(eps)).mul(stepSize));
        }
    }

    private NDArray zeros(NDArray like) {
        NDArray z = stateManager.zeros(like.getShape(), like.getDataType());
        NDScope.unregister(z);
        return z;
    }

    /**
     * The optimiser state by parameter id, for checkpoints.
     *
     * @return {id → {mean, variance}} and the per-parameter step counts
     */
    public Map<String, NDArray[]> moments() {
        Map<String, NDArray[]> out = new HashMap<>();
        for (String id : means.keySet()) {
            out.put(id, new NDArray[] {means.get(id), variances.get(id)});
        }
        return out;
    }

    /** @return the number of updates applied to each parameter */
    public Map<String, Integer> counts() {
        return Map.copyOf(counts);
    }

    /**
     * Restores state saved by {@link #moments()} and {@link #counts()}.
     *
     * @param id the parameter id
     * @param mean the first moment
     * @param variance the second moment
     * @param count the update count
     */
    public void restore(String id, NDArray mean, NDArray variance, int count) {
        means.put(id, mean);
        variances.put(id, variance);
        counts.put(id, count);
    }

    private static final class Builder extends OptimizerBuilder<Builder> {
        @Override
        protected Builder self() {
            return this;
        }
    }
}
