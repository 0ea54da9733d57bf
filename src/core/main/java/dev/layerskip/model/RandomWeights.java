package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.TensorEdit;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/** Seeded random weights for a fresh model ({@link LlamaWeights#initRandom}), optionally edited as drawn. */
final class RandomWeights {

    /** The projection parameters' names, as the blocks register them. */
    private static final Set<String> PROJECTIONS = Set.of("qkv", "o", "gate_up", "down");

    /** A parameter's Hugging Face tensors: their names and row counts, in the order they are fused. */
    private record HfParts(String[] names, long[] rows) {}

    private RandomWeights() {}

    static void init(LlamaModel model, NDManager manager, long seed, float std, TensorEdit edit) {
        if (edit == null) {
            throw new IllegalArgumentException("the tensor edit must not be null (TensorEdit.NONE for none)");
        }
        SplittableRandom random = new SplittableRandom(seed);
        boolean int8 = model.layout() == WeightLayout.INT8;
        Map<Parameter, HfParts> hf = edit == TensorEdit.NONE ? Map.of() : hfParts(model);
        // int8: each projection is drawn in float (the same draws as the other layouts) and quantized at once; its
        // companion parameter ("<name>_int8", registered after it) takes the scales.
        Map<String, ArrayDeque<NDArray>> companions = new HashMap<>();
        for (Parameter p : model.getParameters().values()) {
            if (p.isInitialized()) {
                continue; // the tied head is the embedding
            }
            String name = p.getName();
            if (int8 && name.endsWith("_int8")) {
                p.setArray(companions.get(name).removeFirst());
                continue;
            }
            NDArray array = randomArray(model, p, manager, random, std, edit, hf.get(p));
            if (int8 && (PROJECTIONS.contains(name) || name.equals("embed_tokens") || name.equals("lm_head"))) {
                NDList q = PROJECTIONS.contains(name) ? Int8Weights.quantize(array, "random " + name)
                        : Int8Weights.quantizeRows(array, "random " + name); // looked up: int8 rows and their scales
                array.close();
                companions.computeIfAbsent(name + "_int8", k -> new ArrayDeque<>()).addLast(q.get(1));
                array = q.get(0);
            }
            p.setArray(array);
        }
        if (model.layout() == WeightLayout.PACKED && model.config().tieWordEmbeddings()) {
            model.headForms().packTied();
        }
        if (int8) {
            model.headForms().quantize();
        }
    }

    private static NDArray randomArray(LlamaModel model, Parameter p, NDManager manager, SplittableRandom random,
            float std, TensorEdit edit, HfParts parts) {
        LlamaConfig c = model.config();
        long h = c.hiddenSize();
        String name = p.getName();
        long[] shape = switch (name) {
            case "embed_tokens", "lm_head" -> new long[] {c.vocabSize(), h};
            case "weight" -> new long[] {h};
            case "qkv" -> new long[] {c.qkvWidth(), h};
            case "o" -> new long[] {h, (long) c.numHeads() * c.headDim()};
            case "gate_up" -> new long[] {2L * c.intermediateSize(), h};
            case "down" -> new long[] {h, c.intermediateSize()};
            default -> throw new IllegalStateException("unknown parameter " + name);
        };
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(n * 4)).order(ByteOrder.nativeOrder());
        for (long k = 0; k < n; k++) {
            buf.putFloat(name.equals("weight") ? 1f : (float) (nextGaussian(random) * std));
        }
        buf.flip();
        NDArray array = edited(manager.create(buf.asFloatBuffer(), new Shape(shape)), parts, edit); // [rows, cols]
        boolean packed = model.layout() == WeightLayout.PACKED;
        switch (name) {
            case "weight":
                return array; // norms stay FLOAT32
            case "embed_tokens":
                return new WeightCopier(model.weightType(), false).fromOwned(array); // looked up, never packed
            case "lm_head":
                return LlamaWeights.head(model, new WeightCopier(model.weightType(), false).fromOwned(array));
            default:
                return new WeightCopier(model.weightType(), packed).fromOwned(array);
        }
    }

    /** Offers a draw to the edit under its Hugging Face names, part by part for a fused weight; closes what it replaces. */
    private static NDArray edited(NDArray drawn, HfParts parts, TensorEdit edit) {
        if (parts == null) {
            return drawn;
        }
        NDArray result; // [rows, cols], FLOAT32
        if (parts.names().length == 1) {
            result = edit.checkedApply(parts.names()[0], 0, drawn);
        } else {
            long[] splits = new long[parts.rows().length - 1];
            long at = 0;
            for (int i = 0; i < splits.length; i++) {
                at += parts.rows()[i];
                splits[i] = at;
            }
            NDList split = drawn.split(splits, 0);
            NDList out = new NDList();
            for (int i = 0; i < split.size(); i++) {
                out.add(edit.checkedApply(parts.names()[i], 0, split.get(i))); // [rows_i, cols]
            }
            result = NDArrays.concat(out, 0);
            out.close();
            split.close();
        }
        if (result != drawn) {
            drawn.close();
        }
        return result;
    }

    /** Every parameter with a Hugging Face name (as {@link LlamaWeights#expectedTensors} lists them). */
    private static Map<Parameter, HfParts> hfParts(LlamaModel model) {
        LlamaConfig c = model.config();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long i = c.intermediateSize();
        long h = c.hiddenSize();
        Map<Parameter, HfParts> m = new IdentityHashMap<>();
        m.put(model.embedding(), new HfParts(new String[] {"model.embed_tokens.weight"}, new long[] {c.vocabSize()}));
        if (!c.tieWordEmbeddings()) {
            m.put(model.lmHead(), new HfParts(new String[] {"lm_head.weight"}, new long[] {c.vocabSize()}));
        }
        m.put(model.norm().weight(), new HfParts(new String[] {"model.norm.weight"}, new long[] {h}));
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            DecoderLayer layer = model.layers().get(l);
            m.put(layer.inputNorm().weight(), new HfParts(new String[] {p + "input_layernorm.weight"}, new long[] {h}));
            m.put(layer.postAttentionNorm().weight(),
                    new HfParts(new String[] {p + "post_attention_layernorm.weight"}, new long[] {h}));
            m.put(layer.attention().qkv(), new HfParts(new String[] {p + "self_attn.q_proj.weight",
                    p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight"}, new long[] {q, kv, kv}));
            m.put(layer.attention().out(), new HfParts(new String[] {p + "self_attn.o_proj.weight"}, new long[] {h}));
            m.put(layer.mlp().gateUp(), new HfParts(new String[] {p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"},
                    new long[] {i, i}));
            m.put(layer.mlp().down(), new HfParts(new String[] {p + "mlp.down_proj.weight"}, new long[] {h}));
        }
        return m;
    }

    private static double nextGaussian(SplittableRandom random) {
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
