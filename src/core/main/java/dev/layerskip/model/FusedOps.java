package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The decoder's inference kernels: sequences of tensor operations run as one call into the
 * TorchScript helper of {@link EngineOps} instead of one Java-to-native call per operation.
 *
 * <p>On a small model each DJL operation costs a few microseconds of call overhead, far more than
 * its arithmetic; these kernels cut a decoder layer from about 55 native calls to about 15. They run
 * under DJL's inference guard (no autograd), so they serve {@link ForwardPath#FUSED} passes (gradients
 * off); {@link ForwardPath#AUTOGRAD} passes (training) compose the same arithmetic from DJL operations, which
 * autograd differentiates. The two compositions compute the same values (tested
 * against each other and against the PyTorch references).
 */
final class FusedOps {

    /** Scalar and list arguments, made once per distinct value and kept for the JVM's life (a handful). */
    private static final Map<Object, IValue> CONSTANTS = new ConcurrentHashMap<>();

    private FusedOps() {}

    /**
     * {@code project(rmsNorm(x) · normWeight, w)}.
     *
     * @param x the input, [..., hidden], FLOAT32
     * @param normWeight the norm's scale, [hidden]
     * @param w the projection, [out, hidden]
     * @param eps the norm's ε
     * @return [..., out], FLOAT32
     */
    static NDArray normProject(NDArray x, NDArray normWeight, Projection w, double eps) {
        return tensor("norm_project", x, x, normWeight, arrays(w), eps, kind(w));
    }

    /**
     * Norm, fused q/k/v projection and the head split of attention's input.
     *
     * @param x the layer input, [batch, seq, hidden]
     * @param normWeight the input norm's scale
     * @param qkv the fused projection, [(heads + 2·kvHeads)·headDim, hidden]
     * @param eps the norm's ε
     * @param dims {heads, kvHeads, headDim}
     * @return {queries and keys [batch, seq, heads + kvHeads, headDim], values [batch, kvHeads, seq, headDim]}
     */
    static NDArray[] attentionIn(NDArray x, NDArray normWeight, Projection qkv, double eps, List<Long> dims) {
        return tensors("attention_in", x, x, normWeight, arrays(qkv), eps, kind(qkv), dims);
    }

    /**
     * Rotate-half RoPE, {@code x·cos + rotate_half(x)·sin}, computed as
     * {@code x·cos + roll(x, headDim/2)·(sign·sin)}: rotate_half is the half-way roll with the first
     * half negated.
     *
     * @param x [batch, seq, heads, headDim]
     * @param cos broadcastable to x
     * @param sin broadcastable to x
     * @param sign [headDim]: -1 for the first half, +1 for the second
     * @return the rotated x
     */
    static NDArray rope(NDArray x, NDArray cos, NDArray sin, NDArray sign) {
        return tensor("rope", x, x, cos, sin, sign);
    }

    /**
     * Splits rotated queries and keys: queries scaled and grouped by key head, keys by head.
     *
     * @param qk [batch, seq, heads + kvHeads, headDim]
     * @param dims {heads, kvHeads, headDim}
     * @param scale the query scale, 1/√headDim
     * @return {queries [batch, kvHeads, group·seq, headDim], keys [batch, kvHeads, seq, headDim]}
     */
    static NDArray[] queriesKeys(NDArray qk, List<Long> dims, double scale) {
        return tensors("queries_keys", qk, qk, dims, scale);
    }

    /**
     * Scores, softmax, context, output projection and the residual add in one call, for passes without a mask.
     *
     * @param q [batch, kvHeads, group·seq, headDim]
     * @param keys [batch, kvHeads, total, headDim]
     * @param values [batch, kvHeads, total, headDim]
     * @param x the layer input (the residual), [batch, seq, hidden]
     * @param out the output projection, [hidden, heads·headDim]
     * @return {@code x + out(softmax(q·keysᵀ)·values)}, [batch, seq, hidden]
     */
    static NDArray attend(NDArray q, NDArray keys, NDArray values, NDArray x, Projection out) {
        return tensor("attend", x, q, keys, values, x, arrays(out), kind(out));
    }

    /**
     * {@link #attend} with a mask added to the scores, in one call: for passes over several new
     * positions (causal mask) or over rows at different positions (each row's own visible slots).
     *
     * @param q [batch, kvHeads, group·seq, headDim]
     * @param keys [batch, kvHeads, total, headDim]
     * @param values [batch, kvHeads, total, headDim]
     * @param mask broadcastable to [batch, kvHeads, group, seq, total]: 0 where visible, -1e9 where not
     * @param x the layer input (the residual), [batch, seq, hidden]
     * @param out the output projection, [hidden, heads·headDim]
     * @return {@code x + out(softmax(q·keysᵀ + mask)·values)}, [batch, seq, hidden]
     */
    static NDArray attendMasked(NDArray q, NDArray keys, NDArray values, NDArray mask, NDArray x, Projection out) {
        return tensor("attend_masked", x, q, keys, values, mask, x, arrays(out), kind(out));
    }

    /**
     * {@link #attend} (or {@link #attendMasked} with a mask) over a cache lane range, with this pass's
     * keys and values written into the cache first, in one call: the cache's slots
     * {@code [start, start+seq)} of lanes {@code [lane, lane+lanes)} take k and v in place, and the pass
     * attends over slots {@code [0, start+seq)}. For passes whose rows share one start position.
     *
     * @param q [batch, kvHeads, group·seq, headDim]
     * @param k this pass's keys, [batch, kvHeads, seq, headDim]
     * @param v this pass's values, [batch, kvHeads, seq, headDim]
     * @param keys one layer's key cache, [lanes, kvHeads, capacity, headDim], written in place
     * @param values one layer's value cache, [lanes, kvHeads, capacity, headDim], written in place
     * @param at {first lane, lanes, start}
     * @param mask broadcastable to [batch, kvHeads, group, seq, total], or null for a single new position
     * @param x the layer input (the residual), [batch, seq, hidden]
     * @param out the output projection, [hidden, heads·headDim]
     * @return {@code x + out(softmax(q·keysᵀ [+ mask])·values)}, [batch, seq, hidden]
     */
    static NDArray cacheAttend(NDArray q, NDArray k, NDArray v, NDArray keys, NDArray values, long[] at, NDArray mask,
            NDArray x, Projection out) {
        if (mask == null) {
            return tensor("cache_attend", x, q, k, v, keys, values, at, x, arrays(out), kind(out));
        }
        return tensor("cache_attend_masked", x, q, k, v, keys, values, at, mask, x, arrays(out), kind(out));
    }

    /**
     * {@link #attendMasked} over a cache lane range, with each row's keys and values written at its own
     * lane and slots first, in one call: {@code keys[lanes[r, i], :, slots[r, i]] = k[r, :, i]} (the same
     * for values), then attention over slots {@code [0, total)} of lanes {@code [first, first+rows)}.
     * For rows at different positions (rolling batches).
     *
     * @param q [rows, kvHeads, group·seq, headDim]
     * @param k this pass's keys, [rows, kvHeads, seq, headDim]
     * @param v this pass's values, [rows, kvHeads, seq, headDim]
     * @param keys one layer's key cache, [lanes, kvHeads, capacity, headDim], written in place
     * @param values one layer's value cache, [lanes, kvHeads, capacity, headDim], written in place
     * @param lanes each position's cache lane, [rows, seq] INT64
     * @param slots each position's cache slot, [rows, seq] INT64
     * @param at {first lane, rows, total slots read}
     * @param mask [rows, 1, 1, seq, total]: 0 where visible, -1e9 where not
     * @param x the layer input (the residual), [rows, seq, hidden]
     * @param out the output projection, [hidden, heads·headDim]
     * @return {@code x + out(softmax(q·keysᵀ + mask)·values)}, [rows, seq, hidden]
     */
    static NDArray cacheAttendRows(NDArray q, NDArray k, NDArray v, NDArray keys, NDArray values, NDArray lanes,
            NDArray slots, long[] at, NDArray mask, NDArray x, Projection out) {
        return tensor("cache_attend_rows", x, q, k, v, keys, values, lanes, slots, at, mask, x, arrays(out), kind(out));
    }

    /**
     * The whole MLP half of a layer: {@code h + down(silu(gate(n)) · up(n))} with {@code n = rmsNorm(h)·normWeight}.
     *
     * @param h the input (the residual), [batch, seq, hidden]
     * @param normWeight the post-attention norm's scale
     * @param gateUp the fused gate/up projection, [2·intermediate, hidden], gate rows first
     * @param down the down projection, [hidden, intermediate]
     * @param eps the norm's ε
     * @return [batch, seq, hidden]
     */
    static NDArray mlpBlock(NDArray h, NDArray normWeight, Projection gateUp, Projection down, double eps) {
        if (!kind(gateUp).equals(kind(down))) {
            throw new IllegalArgumentException("the MLP's projections must share one layout");
        }
        return tensor("mlp_block", h, h, normWeight, arrays(gateUp), arrays(down), eps, kind(gateUp));
    }

    /**
     * One product in the helper's {@code project}, the path every fused method takes.
     *
     * @param x the input, [..., in]
     * @param w the projection
     * @return the output, [..., out]
     */
    static NDArray project(NDArray x, Projection w) {
        return tensor("project", x, x, arrays(w), kind(w));
    }

    /** The helper's code for a weight's layout: the one place a projection's type becomes a number. */
    private static Long kind(Projection p) {
        if (p instanceof Int8Projection) {
            return 2L;
        }
        return p instanceof PackedProjection ? 1L : 0L;
    }

    /** The arrays the helper's {@code project} reads for a projection: the weight, and an int8 weight's scales. */
    private static NDArray[] arrays(Projection p) {
        if (p instanceof Int8Projection i) {
            return new NDArray[] {i.packed().get(), i.scales().get()};
        }
        return new NDArray[] {p.weight()};
    }

    private static NDArray tensor(String method, NDArray owner, Object... args) {
        IValue[] inputs = inputs(args);
        try (IValue out = IValueUtils.runMethod(EngineOps.module(), method, inputs)) {
            return out.toTensor((PtNDManager) owner.getManager());
        } finally {
            closeTensors(args, inputs);
        }
    }

    private static NDArray[] tensors(String method, NDArray owner, Object... args) {
        IValue[] inputs = inputs(args);
        try (IValue out = IValueUtils.runMethod(EngineOps.module(), method, inputs)) {
            return out.toTensorArray((PtNDManager) owner.getManager());
        } finally {
            closeTensors(args, inputs);
        }
    }

    private static IValue[] inputs(Object[] args) {
        IValue[] inputs = new IValue[args.length];
        try {
            for (int i = 0; i < args.length; i++) {
                inputs[i] = args[i] instanceof NDArray a ? IValue.from((PtNDArray) a)
                        : args[i] instanceof long[] ints ? IValue.listFrom(ints)
                        : args[i] instanceof NDArray[] arrays ? IValue.listFrom(ptArrays(arrays)) : constant(args[i]);
            }
        } catch (RuntimeException e) {
            closeTensors(args, inputs);
            throw e;
        }
        return inputs;
    }

    /** Closes the per-call wrappers (tensors, position lists; not the cached constants); a failed conversion leaves nulls. */
    private static void closeTensors(Object[] args, IValue[] inputs) {
        for (int i = 0; i < args.length; i++) {
            boolean perCall = args[i] instanceof NDArray || args[i] instanceof long[] || args[i] instanceof NDArray[];
            if (perCall && inputs[i] != null) {
                inputs[i].close();
            }
        }
    }

    private static ai.djl.pytorch.engine.PtNDArray[] ptArrays(NDArray[] arrays) {
        ai.djl.pytorch.engine.PtNDArray[] out = new ai.djl.pytorch.engine.PtNDArray[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            out[i] = (ai.djl.pytorch.engine.PtNDArray) arrays[i];
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static IValue constant(Object value) {
        return CONSTANTS.computeIfAbsent(value, v -> {
            if (v instanceof Double d) {
                return IValue.from(d);
            }
            if (v instanceof Long n) {
                return IValue.from(n);
            }
            if (v instanceof Boolean b) {
                return IValue.from(b);
            }
            if (v instanceof List<?> list) {
                long[] longs = new long[list.size()];
                for (int i = 0; i < longs.length; i++) {
                    longs[i] = ((List<Long>) list).get(i);
                }
                return IValue.listFrom(longs);
            }
            throw new IllegalArgumentException("no TorchScript constant for " + v.getClass().getName());
        });
    }
}
