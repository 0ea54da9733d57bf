package dev.layerskip.model;

import ai.djl.ndarray.types.DataType;

import dev.layerskip.checkpoint.LlamaConfig;

/**
 * Per-token multiply-add counts of the projections (attention over the cache excluded): how much of
 * the full model's cost one layer and the LM head take, which bounds what early exit can save.
 */
public final class CostModel {

    private final LlamaConfig config;

    /**
     * @param config the model configuration
     */
    public CostModel(LlamaConfig config) {
        this.config = config;
    }

    /** @return multiply-adds of one decoder layer per token */
    public long layerMacs() {
        long h = config.hiddenSize();
        return h * config.qkvWidth() + (long) config.numHeads() * config.headDim() * h
                + 3L * h * config.intermediateSize();
    }

    /** @return multiply-adds of the LM head per token */
    public long headMacs() {
        return (long) config.vocabSize() * config.hiddenSize();
    }

    /** @return multiply-adds of the full model per token */
    public long fullModelMacs() {
        return config.numLayers() * layerMacs() + headMacs();
    }

    /**
     * @param exitLayer E
     * @return the cost of exit E relative to the full model
     */
    public double exitCostRatio(int exitLayer) {
        return (double) (exitLayer * layerMacs() + headMacs()) / fullModelMacs();
    }

    /** @return the LM head's share of the full model's per-token cost */
    public double headShare() {
        return (double) headMacs() / fullModelMacs();
    }

    /** @return one layer's share of the full model's per-token cost */
    public double layerShare() {
        return (double) layerMacs() / fullModelMacs();
    }

    /**
     * @param weightType the loaded weight type
     * @return bytes of weights in memory (norms in FLOAT32)
     */
    public long weightBytes(DataType weightType) {
        long norms = (2L * config.numLayers() + 1) * config.hiddenSize();
        return (config.parameterCount() - norms) * weightType.getNumOfBytes() + norms * 4;
    }
}
