package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

import dev.layerskip.checkpoint.LlamaConfig;

import java.util.List;

/**
 * Causal self-attention with RoPE and grouped-query heads.
 *
 * <p>The q, k and v projections are fused into one weight at load time (one matmul instead of
 * three). Grouped queries are laid out as [batch, kvHeads, group·seq, headDim] so that they
 * multiply the cached keys directly, without repeating the key/value heads.
 */
public final class Attention extends ShapePreservingBlock {

    private final LlamaConfig config;
    private final Parameter qkv; // [(heads + 2·kvHeads)·headDim, hidden]
    private final Parameter out; // [hidden, heads·headDim]
    private final Parameter qkvInt8; // [2, rows]: the int8 layout's scales and row sums, else null
    private final Parameter outInt8; // likewise for out
    private final Projection qkvProjection; // products with qkv's array, in the model's layout
    private final Projection outProjection;
    private final List<Long> dims; // {heads, kvHeads, headDim} for the fused kernels

    /**
     * Creates the block; weights are set by the loader.
     *
     * @param config the model configuration
     * @param layout how the loader lays the projections out (PLAIN, PACKED or INT8)
     */
    public Attention(LlamaConfig config, WeightLayout layout) {
        this.config = config;
        dims = List.of((long) config.numHeads(), (long) config.numKvHeads(), (long) config.headDim());
        qkv = addParameter(Parameter.builder().setName("qkv").setType(Parameter.Type.WEIGHT).build());
        out = addParameter(Parameter.builder().setName("o").setType(Parameter.Type.WEIGHT).build());
        qkvInt8 = layout == WeightLayout.INT8 ? addParameter(int8Companion("qkv_int8")) : null;
        outInt8 = layout == WeightLayout.INT8 ? addParameter(int8Companion("o_int8")) : null;
        long heads = (long) config.numHeads() * config.headDim();
        qkvProjection = Projection.of(qkv::getArray, () -> qkvInt8.getArray(), config.hiddenSize(), layout);
        outProjection = Projection.of(out::getArray, () -> outInt8.getArray(), heads, layout);
    }

    /** @return the fused q/k/v projection, [(heads + 2·kvHeads)·headDim, hidden] */
    public Parameter qkv() {
        return qkv;
    }

    /** @return the output projection, [hidden, heads·headDim] */
    public Parameter out() {
        return out;
    }

    /** @return the int8 layout's companion of {@link #qkv()} ([2, rows]: scales, int8 row sums), else null */
    public Parameter qkvInt8() {
        return qkvInt8;
    }

    /** @return the int8 layout's companion of {@link #out()}, else null */
    public Parameter outInt8() {
        return outInt8;
    }

    static Parameter int8Companion(String name) {
        return Parameter.builder().setName(name).setType(Parameter.Type.OTHER).optRequiresGrad(false).build();
    }

    /**
     * Attends over the cached positions and the new ones.
     *
     * @param x the normalised input, [batch, seq, hidden]
     * @param rope the rotary embedding
     * @param pos the positions of this pass
     * @param cache the cache, or null to attend within x only (then every row starts at position 0)
     * @param layer this layer's index in the cache
     * @return the attention output, [batch, seq, hidden]
     */
    NDArray forward(NDArray x, Rope rope, StepPositions pos, KvCache cache, int layer) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int d = config.headDim();
        int g = config.groupSize();
        NDArray proj = qkvProjection.apply(x).reshape(b, t, heads + 2L * kvHeads, d); // [batch, seq, heads+2kv, headDim]
        NDList qkAndV = proj.split(new long[] {heads + kvHeads}, 2);
        NDArray qk = rope.apply(qkAndV.get(0), pos.ropeTables, ForwardPath.AUTOGRAD); // [batch, seq, heads+kv, headDim]
        NDList qAndK = qk.split(new long[] {heads}, 2);
        NDArray k = qAndK.get(1).transpose(0, 2, 1, 3); // [batch, kvHeads, seq, headDim]
        NDArray v = qkAndV.get(1).transpose(0, 2, 1, 3); // [batch, kvHeads, seq, headDim]
        NDArray[] kv = keysAndValues(pos, cache, layer, k, v);
        NDArray keys = kv[0]; // [batch, kvHeads, total, headDim]
        NDArray values = kv[1]; // [batch, kvHeads, total, headDim]
        long total = keys.getShape().get(2);
        NDArray q = Scalars.mul(qAndK.get(0), 1.0 / Math.sqrt(d))
                .reshape(b, t, kvHeads, g, d)
                .transpose(0, 2, 3, 1, 4)
                .reshape(b, kvHeads, g * t, d); // [batch, kvHeads, group·seq, headDim]
        NDArray scores = q.matMul(keys.transpose(0, 1, 3, 2)); // [batch, kvHeads, group·seq, total]
        if (pos.mask != null) {
            scores = scores.reshape(b, kvHeads, g, t, total).add(pos.mask).reshape(b, kvHeads, g * t, total);
        }
        NDArray probs = scores.softmax(3); // [batch, kvHeads, group·seq, total]
        NDArray context = probs.matMul(values) // [batch, kvHeads, group·seq, headDim]
                .reshape(b, kvHeads, g, t, d)
                .transpose(0, 3, 1, 2, 4)
                .reshape(b, t, (long) heads * d); // [batch, seq, heads·headDim]
        return outProjection.apply(context); // [batch, seq, hidden]
    }

    /**
     * The attention half of a layer with the fused inference kernels ({@link FusedOps}, gradients
     * off): {@code x + attention(norm(x))}, the same arithmetic as {@link #forward} in three calls
     * into the engine helper (four with a mask), the RoPE call and the cache's reads and writes.
     *
     * @param x the residual stream, [batch, seq, hidden]
     * @param norm the input norm
     * @param rope the rotary embedding
     * @param pos the positions of this pass
     * @param cache the cache, or null to attend within x only (then every row starts at position 0)
     * @param layer this layer's index in the cache
     * @return {@code x} plus the attention output, [batch, seq, hidden]
     */
    NDArray forwardFused(NDArray x, RmsNorm norm, Rope rope, StepPositions pos, KvCache cache, int layer) {
        NDArray[] qkAndV = FusedOps.attentionIn(x, norm.weight().getArray(), qkvProjection, norm.eps(), dims);
        NDArray qk = rope.apply(qkAndV[0], pos.ropeTables, ForwardPath.FUSED); // [batch, seq, heads+kv, headDim]
        NDArray[] qAndK = FusedOps.queriesKeys(qk, dims, 1.0 / Math.sqrt(config.headDim()));
        NDArray k = qAndK[1]; // [batch, kvHeads, seq, headDim]
        NDArray v = qkAndV[1]; // [batch, kvHeads, seq, headDim]
        if (cache != null) { // the cache stores; its write, read and the attention run in one call
            return attendCached(qAndK[0], k, v, x, pos, cache, layer);
        }
        NDArray[] kv = keysAndValues(pos, cache, layer, k, v);
        NDArray keys = kv[0]; // [batch, kvHeads, total, headDim]
        NDArray values = kv[1]; // [batch, kvHeads, total, headDim]
        if (pos.mask == null) {
            return FusedOps.attend(qAndK[0], keys, values, x, outProjection); // scores to residual in one call
        }
        return FusedOps.attendMasked(qAndK[0], keys, values, pos.mask, x, outProjection); // one call with the mask
    }

    /**
     * Writes this pass's keys and values into the cache at their slots and attends over every slot up to the pass's
     * end, in one fused engine call: for rows that share one start position ({@code pos.aligned}) with
     * {@link FusedOps#cacheAttend}, else each row at its own lane and slots with {@link FusedOps#cacheAttendRows};
     * the same arithmetic as {@link KvCache#writeAndRead} then attention.
     *
     * @param q [batch, kvHeads, group·seq, headDim]
     * @param k [batch, kvHeads, seq, headDim]
     * @param v [batch, kvHeads, seq, headDim]
     * @param x the residual, [batch, seq, hidden]
     * @return {@code x + out(attention)}, [batch, seq, hidden]
     */
    private NDArray attendCached(NDArray q, NDArray k, NDArray v, NDArray x, StepPositions pos, KvCache cache, int layer) {
        cache.checkPass(pos);
        NDArray keys = cache.keys(layer); // [lanes, kvHeads, capacity, headDim], written in place
        NDArray values = cache.values(layer); // [lanes, kvHeads, capacity, headDim], written in place
        if (pos.aligned) {
            long[] at = {pos.rows.firstLane(), pos.rows.rows(), pos.start};
            return FusedOps.cacheAttend(q, k, v, keys, values, at, pos.mask, x, outProjection);
        }
        long[] at = {pos.rows.firstLane(), pos.rows.rows(), pos.total};
        return FusedOps.cacheAttendRows(q, k, v, keys, values, pos.writeLanes, pos.writeSlots, at, pos.mask, x,
                outProjection);
    }

    /**
     * The keys and values a pass attends over: with a cache, the new ones written at their positions
     * and every slot up to the pass's end read back; without one, just the new ones.
     *
     * @return {keys, values}, each [batch, kvHeads, total, headDim]
     */
    private static NDArray[] keysAndValues(StepPositions pos, KvCache cache, int layer, NDArray k, NDArray v) {
        if (cache != null) {
            return cache.writeAndRead(layer, pos, k, v);
        }
        if (!pos.aligned || pos.start != 0) {
            throw new IllegalArgumentException("without a cache every row's positions must start at 0");
        }
        return new NDArray[] {k, v};
    }

    /** @return the block's projections, in product order */
    List<Projection> projections() {
        return List.of(qkvProjection, outProjection);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        throw new UnsupportedOperationException(
                "Attention needs positions and a cache: call LlamaModel.forwardLayers instead");
    }
}
