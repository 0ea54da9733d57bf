package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import dev.layerskip.checkpoint.LlamaConfig;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A Llama decoder as a DJL block, built for LayerSkip (<a
 * href="https://arxiv.org/abs/2404.16710">Elhoushi et al., 2024</a>): every layer can be an exit.
 *
 * <p>There is one forward path, parameterised by a layer range: {@link #embed}, then {@link
 * #forwardLayers} over layers {@code [from, to)}, then {@link #exitHead} (final norm + LM head,
 * shared by every exit). Early exit at E is {@code forwardLayers(x, 0, E)} followed by the head;
 * self-speculative decoding drafts with {@code [0, E)} and verifies with {@code [E, L)} from the
 * drafts' kept hidden states.
 *
 * <p>Weights live in the manager passed to the loader; activations of a call are attached to the
 * manager of its inputs, so callers run each step in an {@code NDScope} or sub-manager.
 */
public final class LlamaModel extends AbstractBlock {

    private final LlamaConfig config;
    private final DataType weightType;
    private final WeightLayout layout;
    private final KvCacheType kvCacheType;
    private final Parameter embedding; // [vocab, hidden]
    private final Parameter lmHead; // [vocab, hidden]; the embedding when tied
    private final Parameter embeddingInt8; // [vocab]: the int8 layout's per-row scales of the embedding, else null
    private final List<DecoderLayer> layers;
    private final RmsNorm norm;
    private final Rope rope;
    private final NDManager manager;
    private final LmHead lmHeadForms; // the head's packed and plain copies and its draft heads
    private final Projection head; // the LM head as the products read it (for a packed tied head, its packed copy)

    /**
     * Creates the model structure with plain weights (training, saving, any device).
     *
     * @param manager the manager that owns the RoPE tables (the weights' manager)
     * @param config the configuration
     * @param weightType FLOAT32, FLOAT16 or BFLOAT16 for the projection and embedding weights
     */
    public LlamaModel(NDManager manager, LlamaConfig config, DataType weightType) {
        this(manager, config, weightType, WeightLayout.PLAIN, KvCacheType.AUTO);
    }

    /**
     * Creates the model structure with a KV cache type for its generations.
     *
     * @param manager the manager that owns the RoPE tables (the weights' manager)
     * @param config the configuration
     * @param weightType FLOAT32, FLOAT16 or BFLOAT16 for the projection and embedding weights
     * @param layout PLAIN or PACKED
     * @param kvCache the KV cache's element type ({@link KvCacheType#AUTO} is resolved against the manager's device)
     */
    public LlamaModel(NDManager manager, LlamaConfig config, DataType weightType, WeightLayout layout,
            KvCacheType kvCache) {
        if (!Ops.isSupportedWeightType(weightType)) {
            throw new IllegalArgumentException("weight type must be FLOAT32, FLOAT16 or BFLOAT16, got " + weightType);
        }
        if (layout == null || layout == WeightLayout.AUTO) {
            throw new IllegalArgumentException("the model needs a resolved weight layout (PLAIN, PACKED or INT8), got " + layout);
        }
        if (kvCache == null) {
            throw new IllegalArgumentException("the KV cache type must not be null (KvCacheType.AUTO to choose by device)");
        }
        this.config = config;
        this.weightType = weightType;
        this.layout = layout;
        this.kvCacheType = kvCache.resolve(manager == null ? ai.djl.Device.cpu() : manager.getDevice(), weightType);
        this.manager = manager;
        embedding = addParameter(Parameter.builder().setName("embed_tokens").setType(Parameter.Type.WEIGHT).build());
        lmHead = config.tieWordEmbeddings()
                ? embedding
                : addParameter(Parameter.builder().setName("lm_head").setType(Parameter.Type.WEIGHT).build());
        // int8: the embedding (and an untied head) are int8 rows with per-row scales in a companion parameter
        embeddingInt8 = layout == WeightLayout.INT8 ? addParameter(Attention.int8Companion("embed_tokens_int8")) : null;
        Parameter lmHeadInt8 = layout == WeightLayout.INT8 && !config.tieWordEmbeddings()
                ? addParameter(Attention.int8Companion("lm_head_int8")) : embeddingInt8;
        List<DecoderLayer> list = new ArrayList<>();
        for (int l = 0; l < config.numLayers(); l++) {
            list.add(addChildBlock("layer" + l, new DecoderLayer(config, layout)));
        }
        layers = Collections.unmodifiableList(list);
        norm = addChildBlock("norm", new RmsNorm(config.rmsNormEps()));
        rope = new Rope(manager, config);
        lmHeadForms = new LmHead(embedding, lmHead, lmHeadInt8, config.tieWordEmbeddings(), layout, manager, weightType);
        head = Projection.of(lmHeadForms::forProducts, lmHeadForms::int8Companion, config.hiddenSize(), layout);
    }

    /** @return the configuration */
    public LlamaConfig config() {
        return config;
    }

    /** @return the manager that owns the weights; generations open sub-managers of it */
    public NDManager manager() {
        return manager;
    }

    /** @return the number of layers L */
    public int numLayers() {
        return layers.size();
    }

    /** @return the type of the projection and embedding weights */
    public DataType weightType() {
        return weightType;
    }

    /** @return the element type of the KV caches its generations allocate (FLOAT32, FLOAT16 or BFLOAT16) */
    public KvCacheType kvCacheType() {
        return kvCacheType;
    }

    /** @return how the projection weights are laid out (PLAIN, PACKED or INT8) */
    public WeightLayout layout() {
        return layout;
    }

    /** @return the layers, in order */
    public List<DecoderLayer> layers() {
        return layers;
    }

    /** @return the final norm, shared by every exit */
    public RmsNorm norm() {
        return norm;
    }

    /**
     * @return the token embedding, [vocab, hidden]; without an array in an int8 or packed model loaded from a
     *     checkpoint (its rows are read from the file when looked up)
     */
    public Parameter embedding() {
        return embedding;
    }

    /** @return the LM head, [vocab, hidden]; the same object as {@link #embedding()} when tied */
    public Parameter lmHead() {
        return lmHead;
    }

    /**
     * Looks up token embeddings: x_0.
     *
     * @param ids [batch, seq] integer token ids
     * @return [batch, seq, hidden] FLOAT32
     */
    public NDArray embed(NDArray ids) {
        NDArray x = lmHeadForms.embeddingInFile() ? lmHeadForms.embeddingRows(ids) // [batch, seq, hidden]
                : Int8Weights.rows(embedding.getArray(), embeddingInt8 == null ? null : embeddingInt8.getArray(), ids);
        return x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
    }

    /**
     * Runs layers {@code from .. to-1} over new positions {@code start .. start+seq-1}: the one
     * forward path of the model. With a cache, each layer writes its keys/values at those positions
     * and attends over every position before them; without one, {@code start} must be 0.
     *
     * @param hidden x_from, [batch, seq, hidden]
     * @param from the first layer, 0 ≤ from ≤ to
     * @param to one past the last layer, ≤ L
     * @param cache the cache, or null
     * @param start the position of the first new token
     * @return x_to, [batch, seq, hidden]
     */
    public NDArray forwardLayers(NDArray hidden, int from, int to, KvCache cache, int start) {
        return forwardLayers(hidden, from, to, cache, start, ForwardPath.forThisThread());
    }

    /**
     * {@link #forwardLayers(NDArray, int, int, KvCache, int)} on a path the caller chooses.
     *
     * @param hidden x_from, [batch, seq, hidden]
     * @param from the first layer
     * @param to one past the last layer
     * @param cache the cache, or null
     * @param start the position of the first new token
     * @param path FUSED (gradients off) or AUTOGRAD
     * @return x_to, [batch, seq, hidden]
     */
    public NDArray forwardLayers(NDArray hidden, int from, int to, KvCache cache, int start, ForwardPath path) {
        Shape shape = hidden.getShape(); // [batch, seq, hidden]
        return forwardLayers(hidden, from, to, cache,
                RowPositions.aligned(0, (int) shape.get(0), start, (int) shape.get(1)), path);
    }

    /**
     * Runs layers {@code from .. to-1} over rows that each have their own positions and cache lane
     * (a batch of sequences): the same forward path as {@link #forwardLayers(NDArray, int, int,
     * KvCache, int)}, which is this method with every row at one position.
     *
     * @param hidden x_from, [rows, seq, hidden]
     * @param from the first layer, 0 ≤ from ≤ to
     * @param to one past the last layer, ≤ L
     * @param cache the cache, or null (then the rows must be aligned at position 0)
     * @param positions each row's lane and positions; its rows and length match hidden
     * @return x_to, [rows, seq, hidden]
     */
    public NDArray forwardLayers(NDArray hidden, int from, int to, KvCache cache, RowPositions positions) {
        return forwardLayers(hidden, from, to, cache, positions, ForwardPath.forThisThread());
    }

    /**
     * {@link #forwardLayers(NDArray, int, int, KvCache, RowPositions)} on a path the caller chooses: the one
     * forward path of the model.
     *
     * @param hidden x_from, [rows, seq, hidden]
     * @param from the first layer, 0 ≤ from ≤ to
     * @param to one past the last layer, ≤ L
     * @param cache the cache, or null (then the rows must be aligned at position 0)
     * @param positions each row's lane and positions; its rows and length match hidden
     * @param path FUSED (gradients off) or AUTOGRAD
     * @return x_to, [rows, seq, hidden]
     */
    public NDArray forwardLayers(NDArray hidden, int from, int to, KvCache cache, RowPositions positions,
            ForwardPath path) {
        path.checkThread();
        if (from < 0 || from > to || to > layers.size()) {
            throw new IllegalArgumentException(
                    "layer range [" + from + ", " + to + ") outside [0, " + layers.size() + "]");
        }
        Shape shape = hidden.getShape(); // [rows, seq, hidden]
        if (shape.get(0) != positions.rows() || shape.get(1) != positions.length()) {
            throw new IllegalArgumentException("hidden states " + shape + " do not match " + positions.rows()
                    + " rows of " + positions.length() + " positions");
        }
        if (from == to) {
            return hidden;
        }
        int scratch = cache == null ? 0 : cache.capacity() - 1;
        StepPositions pos = new StepPositions(hidden.getManager(), rope, positions, scratch);
        NDArray x = hidden; // [batch, seq, hidden]
        for (int l = from; l < to; l++) {
            x = layers.get(l).forward(x, rope, pos, cache, l, path);
        }
        return x;
    }

    /**
     * The shared exit head g: final RMSNorm, then the LM head.
     *
     * @param hidden x_E for any exit E, [batch, seq, hidden]
     * @return logits, [batch, seq, vocab] FLOAT32
     */
    public NDArray exitHead(NDArray hidden) {
        return exitHead(hidden, ForwardPath.forThisThread());
    }

    /**
     * The shared exit head on a path the caller chooses.
     *
     * @param hidden x_E, [batch, seq, hidden]
     * @param path FUSED (gradients off) or AUTOGRAD
     * @return logits, [batch, seq, vocab] FLOAT32
     */
    public NDArray exitHead(NDArray hidden, ForwardPath path) {
        path.checkThread();
        if (path == ForwardPath.FUSED) {
            return FusedOps.normProject(hidden, norm.weight().getArray(), head, norm.eps());
        }
        return head.apply(norm.apply(hidden)); // [batch, seq, vocab]
    }

    /**
     * Every projection one full decoding step multiplies by, as the products see it: q/k/v, o, gate/up
     * and down of each layer, then the LM head (for a packed tied head, its packed copy).
     *
     * @return the projections, in order
     */
    public List<Projection> projections() {
        List<Projection> out = new ArrayList<>();
        for (DecoderLayer layer : layers) {
            out.addAll(layer.attention().projections());
            out.addAll(layer.mlp().projections());
        }
        out.add(head);
        return out;
    }

    /**
     * The bytes of every weight array the model holds: parameters, the packed copy of a tied head and
     * the plain copy of a packed untied one (draft heads built later are not counted).
     *
     * @return bytes, from the arrays' shapes and element types (BF16: 2)
     */
    public long weightBytes() {
        long total = 0;
        for (Parameter p : getParameters().values()) { // a tied head is the embedding, listed once
            if (p.isInitialized() && !(layout == WeightLayout.INT8 && p.getArray().getDataType() == DataType.UINT8)) {
                total += EngineOps.bytes(p.getArray()); // FBGEMM's int8 matrices are opaque: counted below
            }
        }
        for (Projection p : projections()) {
            total += p instanceof Int8Projection && p != head ? p.shape().size() : 0; // one byte a weight (+FBGEMM's padding)
        }
        return total + lmHeadForms.copyBytes();
    }

    /** @return the LM head's forms (packed or int8 copies, plain rows, draft heads), for the loader and draft heads */
    LmHead headForms() {
        return lmHeadForms;
    }

    /** @return the int8 layout's per-row scales of the embedding, [vocab]; null in the other layouts */
    public Parameter embeddingInt8() {
        return embeddingInt8;
    }

    /**
     * The LM head as plain rows that can be indexed (e.g. to build a draft head over some tokens): the
     * embedding when tied, else lm_head, or for a packed untied head the plain copy kept at load.
     *
     * @return [vocab, hidden] in the weight type, plain layout; owned by the model
     * @throws IllegalStateException for an int8 or packed model loaded from a checkpoint, which reads rows from the
     *     file when it looks them up and holds none
     */
    public NDArray plainHead() {
        return lmHeadForms.plainRows();
    }

    /**
     * The logits of exit E over a whole sequence, without a cache.
     *
     * @param ids [batch, seq] token ids, seq ≤ context length
     * @param exitLayer E in 1..L
     * @return [batch, seq, vocab]
     */
    public NDArray logits(NDArray ids, int exitLayer) {
        if (exitLayer < 1 || exitLayer > layers.size()) {
            throw new IllegalArgumentException(
                    "exit layer " + exitLayer + " outside 1.." + layers.size());
        }
        return exitHead(forwardLayers(embed(ids), 0, exitLayer, null, 0));
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(logits(inputs.singletonOrThrow(), layers.size()));
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape ids = inputShapes[0];
        return new Shape[] {new Shape(ids.get(0), ids.get(1), config.vocabSize())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (var child : getChildren().values()) {
            child.initialize(manager, dataType, inputShapes);
        }
    }

    /**
     * The draft head for a key, built once per key and cached with the model.
     *
     * @param key the draft vocabulary's identity
     * @param build makes the head on first use
     * @return the cached or new head
     */
    DraftHead draftHead(Object key, java.util.function.Supplier<DraftHead> build) {
        return lmHeadForms.draftHead(key, build);
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        // Weights are always supplied by LlamaWeights.
    }
}
