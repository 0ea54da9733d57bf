package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import dev.layerskip.checkpoint.LlamaConfig;

/** One pre-norm Llama layer: {@code h = x + attn(norm(x))}, {@code out = h + mlp(norm(h))}. */
public final class DecoderLayer extends ShapePreservingBlock {

    private final RmsNorm inputNorm;
    private final Attention attention;
    private final RmsNorm postAttentionNorm;
    private final Mlp mlp;

    /**
     * Creates the layer; weights are set by the loader.
     *
     * @param config the model configuration
     * @param layout how the loader lays the projections out (PLAIN, PACKED or INT8)
     */
    public DecoderLayer(LlamaConfig config, WeightLayout layout) {
        inputNorm = addChildBlock("input_layernorm", new RmsNorm(config.rmsNormEps()));
        attention = addChildBlock("self_attn", new Attention(config, layout));
        postAttentionNorm = addChildBlock("post_attention_layernorm", new RmsNorm(config.rmsNormEps()));
        mlp = addChildBlock("mlp", new Mlp(config.hiddenSize(), config.intermediateSize(), layout));
    }

    /** @return the norm before attention */
    public RmsNorm inputNorm() {
        return inputNorm;
    }

    /** @return the attention block */
    public Attention attention() {
        return attention;
    }

    /** @return the norm before the MLP */
    public RmsNorm postAttentionNorm() {
        return postAttentionNorm;
    }

    /** @return the MLP block */
    public Mlp mlp() {
        return mlp;
    }

    /**
     * Runs the layer.
     *
     * @param path the fused inference kernels ({@link FusedOps}; gradients off) or DJL operations (autograd)
     */
    NDArray forward(NDArray x, Rope rope, StepPositions pos, KvCache cache, int layer, ForwardPath path) {
        if (path == ForwardPath.FUSED) {
            NDArray h = attention.forwardFused(x, inputNorm, rope, pos, cache, layer); // [batch, seq, hidden], residual included
            return mlp.blockFused(h, postAttentionNorm);
        }
        NDArray h = x.add(attention.forward(inputNorm.apply(x), rope, pos, cache, layer)); // [batch, seq, hidden]
        return h.add(mlp.apply(postAttentionNorm.apply(h)));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        throw new UnsupportedOperationException(
                "DecoderLayer needs positions: call LlamaModel.forwardLayers instead");
    }
}
