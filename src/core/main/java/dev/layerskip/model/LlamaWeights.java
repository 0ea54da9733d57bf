package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;

import dev.layerskip.checkpoint.CheckpointException;
import dev.layerskip.checkpoint.CompressedTensorsInt8;
import dev.layerskip.checkpoint.HfCheckpoint;
import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.SafetensorsWriter;
import dev.layerskip.checkpoint.StoredTensorCopier;
import dev.layerskip.checkpoint.TensorDType;
import dev.layerskip.checkpoint.TensorEdit;

import java.util.ArrayList;
import java.util.List;

/**
 * Moves weights between Hugging Face tensor names and the model's blocks: fuses q/k/v and
 * gate/up on load, splits them again on save.
 */
public final class LlamaWeights {

    private LlamaWeights() {}

    /**
     * Loads every weight of a checkpoint into a new model.
     *
     * @param checkpoint the open checkpoint
     * @param manager the manager that will own the weights
     * @param weightType FLOAT32, FLOAT16 or BFLOAT16 for projections and embeddings (norms stay
     *     FLOAT32; BF16 checkpoints load as bfloat16 without any widening)
     * @return the model
     * @throws CheckpointException if a tensor is missing or has the wrong shape (named)
     */
    public static LlamaModel load(HfCheckpoint checkpoint, NDManager manager, DataType weightType)
            throws CheckpointException {
        return load(checkpoint, manager, weightType, WeightLayout.PLAIN);
    }

    /**
     * Loads every weight of a checkpoint into a new model with the given layout.
     *
     * @param checkpoint the open checkpoint
     * @param manager the manager that will own the weights
     * @param weightType FLOAT32, FLOAT16 or BFLOAT16 for projections and embeddings (norms stay FLOAT32)
     * @param layout PLAIN or PACKED (resolved)
     * @return the model
     * @throws CheckpointException if a tensor is missing or has the wrong shape (named)
     */
    public static LlamaModel load(HfCheckpoint checkpoint, NDManager manager, DataType weightType, WeightLayout layout)
            throws CheckpointException {
        return load(checkpoint, manager, weightType, layout, KvCacheType.AUTO);
    }

    /**
     * Loads every weight of a checkpoint into a new model with the given layout and KV cache type.
     *
     * @param checkpoint the open checkpoint
     * @param manager the manager that will own the weights
     * @param weightType FLOAT32, FLOAT16 or BFLOAT16 for projections and embeddings (norms stay FLOAT32)
     * @param layout PLAIN or PACKED (resolved)
     * @param kvCache the element type of the model's KV caches
     * @return the model
     * @throws CheckpointException if a tensor is missing or has the wrong shape (named)
     */
    public static LlamaModel load(HfCheckpoint checkpoint, NDManager manager, DataType weightType, WeightLayout layout,
            KvCacheType kvCache) throws CheckpointException {
        LlamaConfig c = checkpoint.config();
        CompressedTensorsInt8 storage = checkpoint.int8Storage();
        if (storage != null && layout != WeightLayout.INT8) {
            throw new CheckpointException(checkpoint.directory(), "stores int8 weights (config.json's quantization_config,"
                    + " compressed-tensors int-quantized); load it with dtype int8 or auto");
        }
        Int8Checkpoints.verify(checkpoint, storage); // before anything is allocated (RoPE tables included)
        LlamaModel model = new LlamaModel(manager, c, weightType, layout, kvCache);
        // Each weight is copied once from the mapped file into its final form (BF16 stays 16-bit; packed
        // weights are packed by that copy); fused weights are joined first, per layer.
        boolean packed = layout == WeightLayout.PACKED;
        WeightCopier plain = new WeightCopier(weightType, false);
        WeightCopier products = new WeightCopier(weightType, packed);
        long h = c.hiddenSize();
        Runnable headPacking = loadTables(checkpoint, manager, model, plain);
        // int8: the head's FBGEMM packing (single-threaded, seconds on a large vocabulary) runs beside the layers' load
        try (BackgroundTask beside = headPacking == null ? BackgroundTask.NONE
                : BackgroundTask.start("layerskip-int8-head", headPacking)) {
            loadLayers(checkpoint, manager, model, products);
            beside.join();
        } catch (IllegalArgumentException e) { // the head's rows
            throw new CheckpointException(checkpoint.directory(), e.getMessage(), e);
        }
        model.norm().weight().setArray(checkpoint.load(manager, "model.norm.weight", new long[] {h}, WeightCopier.FLOAT32));
        return model;
    }

    /**
     * The embedding and the LM head. An int8 or packed model from an unedited checkpoint holds no rows of them:
     * look-ups read the file ({@link StoredRows}); a packed head is packed from it here, an int8 head quantized here and
     * packed by the returned work, which then frees the rows. Otherwise both are read into the model (an int8 head is
     * then packed from its rows by the returned work).
     *
     * @return the int8 head's packing, to run beside the layers' load; null for the other layouts
     */
    private static Runnable loadTables(HfCheckpoint checkpoint, NDManager manager, LlamaModel model, WeightCopier plain)
            throws CheckpointException {
        LlamaConfig c = model.config();
        long[][] table = {{c.vocabSize(), c.hiddenSize()}};
        String embedding = "model.embed_tokens.weight";
        String head = c.tieWordEmbeddings() ? embedding : "lm_head.weight";
        if ((model.layout() == WeightLayout.PACKED || model.layout() == WeightLayout.INT8) && !checkpoint.edited()) {
            if (!c.tieWordEmbeddings()) { // checked for non-finite values as every tensor is, not kept
                checkpoint.loadAll(manager, CHECK_ONLY, new String[] {embedding}, table).close();
            }
            model.headForms().readRowsFromFile(StoredRows.open(checkpoint, embedding, null), c.tieWordEmbeddings()
                    ? null : StoredRows.open(checkpoint, head, int8Scales(checkpoint, manager, head, table[0][0])));
            if (model.layout() == WeightLayout.PACKED) { // packed straight from the file
                model.headForms().setPackedHead(checkpoint.load(manager, head, table[0], new WeightCopier(model.weightType(), true)));
                return null;
            }
            // quantized here, with both cores (two threads each running PyTorch's parallel loops would oversubscribe
            // them); FBGEMM's packing, single-threaded, then runs beside the layers and frees the rows
            NDList rows = int8(checkpoint, manager, new String[] {head}, table, true); // [vocab, hidden] int8, [vocab]
            return () -> {
                try (rows) {
                    model.headForms().setInt8Head(Int8Weights.pack(rows.get(0), rows.get(1)));
                }
            };
        }
        set(checkpoint, manager, model.embedding(), model.embeddingInt8(), new String[] {embedding}, table, plain, true);
        if (!c.tieWordEmbeddings() && model.layout() == WeightLayout.INT8) {
            set(checkpoint, manager, model.lmHead(), model.headForms().rowScales(), new String[] {head}, table, plain, true);
        } else if (!c.tieWordEmbeddings()) {
            model.lmHead().setArray(head(model, checkpoint.load(manager, head, table[0], plain)));
        } else if (model.layout() == WeightLayout.PACKED) {
            model.headForms().packTied();
        }
        return model.layout() == WeightLayout.INT8 ? () -> model.headForms().quantize() : null;
    }

    /** An I8 table's per-row scales (checked when the head is packed from the same tensor), else null. */
    private static float[] int8Scales(HfCheckpoint checkpoint, NDManager manager, String name, long rows)
            throws CheckpointException {
        if (checkpoint.info(name).dtype() != TensorDType.I8) {
            return null;
        }
        try (NDArray scales = checkpoint.load(manager, CompressedTensorsInt8.scaleOf(name), new long[] {rows, 1},
                WeightCopier.FLOAT32)) { // [rows, 1]
            return scales.toFloatArray();
        }
    }

    /** Checks a table's values as they are mapped (non-finite ones are refused) and keeps none of them. */
    private static final StoredTensorCopier CHECK_ONLY = new StoredTensorCopier() {
        @Override
        public NDArray view(NDArray alias, TensorDType stored) {
            return WeightCopier.FLOAT32.view(alias, stored);
        }

        @Override
        public NDList copy(NDList views) {
            return new NDList(views.get(0).getManager().zeros(new ai.djl.ndarray.types.Shape(0))); // [0]
        }
    };

    // every decoder layer's norms and projections, in order
    private static void loadLayers(HfCheckpoint checkpoint, NDManager manager, LlamaModel model, WeightCopier products)
            throws CheckpointException {
        LlamaConfig c = model.config();
        WeightCopier norms = WeightCopier.FLOAT32;
        long h = c.hiddenSize();
        long d = c.headDim();
        long q = c.numHeads() * d;
        long kv = c.numKvHeads() * d;
        long i = c.intermediateSize();
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            DecoderLayer layer = model.layers().get(l);
            layer.inputNorm().weight().setArray(
                    checkpoint.load(manager, p + "input_layernorm.weight", new long[] {h}, norms));
            layer.postAttentionNorm().weight().setArray(
                    checkpoint.load(manager, p + "post_attention_layernorm.weight", new long[] {h}, norms));
            set(checkpoint, manager, layer.attention().qkv(), layer.attention().qkvInt8(),
                    new String[] {p + "self_attn.q_proj.weight", p + "self_attn.k_proj.weight", p + "self_attn.v_proj.weight"},
                    new long[][] {{q, h}, {kv, h}, {kv, h}}, products, false);
            set(checkpoint, manager, layer.attention().out(), layer.attention().outInt8(),
                    new String[] {p + "self_attn.o_proj.weight"}, new long[][] {{h, q}}, products, false);
            set(checkpoint, manager, layer.mlp().gateUp(), layer.mlp().gateUpInt8(),
                    new String[] {p + "mlp.gate_proj.weight", p + "mlp.up_proj.weight"}, new long[][] {{i, h}, {i, h}},
                    products, false);
            set(checkpoint, manager, layer.mlp().down(), layer.mlp().downInt8(),
                    new String[] {p + "mlp.down_proj.weight"}, new long[][] {{h, i}}, products, false);
        }
    }

    /**
     * Reads a weight (the named tensors joined along rows) into its parameter. In the int8 layout ({@code int8} is the
     * companion parameter) an {@link Int8Copier} reads it straight from the mapped file: float tensors quantized a
     * chunk of rows at a time, int8 tensors taken with their scales; tables whose rows are looked up (embedding, LM
     * head) become int8 rows with per-row scales, projections are then packed for FBGEMM. Otherwise {@code copier}
     * copies it.
     */
    private static void set(HfCheckpoint checkpoint, NDManager manager, Parameter weight, Parameter int8, String[] names,
            long[][] shapes, StoredTensorCopier copier, boolean lookedUp) throws CheckpointException {
        if (int8 == null) {
            weight.setArray(checkpoint.load(manager, copier, names, shapes));
            return;
        }
        NDList q = int8(checkpoint, manager, names, shapes, lookedUp);
        weight.setArray(q.get(0));
        int8.setArray(q.get(1));
    }

    /** An int8 weight read as {@link #set} describes: rows and scales, or (not looked up) FBGEMM's packed matrix. */
    private static NDList int8(HfCheckpoint checkpoint, NDManager manager, String[] names, long[][] shapes,
            boolean lookedUp) throws CheckpointException {
        NDList q;
        try {
            long[] rows = new long[shapes.length];
            for (int t = 0; t < shapes.length; t++) {
                rows[t] = shapes[t][0];
            }
            boolean stored = checkpoint.info(names[0]).dtype() == TensorDType.I8; // types verified: all or none
            String[] read = names;
            long[][] readShapes = shapes;
            if (stored) { // the int8 rows, then their scales
                read = java.util.Arrays.copyOf(names, 2 * names.length);
                readShapes = java.util.Arrays.copyOf(shapes, 2 * shapes.length);
                for (int t = 0; t < names.length; t++) {
                    read[names.length + t] = CompressedTensorsInt8.scaleOf(names[t]);
                    readShapes[names.length + t] = new long[] {rows[t], 1};
                }
            }
            q = checkpoint.loadAll(manager, new Int8Copier(names, rows, lookedUp, stored), read, readShapes);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(checkpoint.directory(), e.getMessage(), e);
        }
        if (!lookedUp) { // packed once the file's pages are unmapped; the int8 rows are then freed
            try (NDList rowsOut = q) {
                q = rowsOut.size() == 3 ? Int8Weights.packWithSums(rowsOut.get(0), rowsOut.get(1), rowsOut.get(2))
                        : Int8Weights.pack(rowsOut.get(0), rowsOut.get(1));
            }
        }
        NativeHeap.trim(); // the quantization's temporaries, freed, leave the process instead of staying resident
        return q;
    }

    /**
     * An untied LM head as the products use it; when packed, the plain rows stay with the model
     * ({@link LlamaModel#plainHead()}: draft heads index them; +V·H weights in memory).
     */
    static NDArray head(LlamaModel model, NDArray typed) {
        if (model.layout() == WeightLayout.INT8) {
            return typed; // stays as the plain rows; headForms().quantize() lays the head out once it is set
        }
        if (model.layout() != WeightLayout.PACKED) {
            return typed;
        }
        model.headForms().keepPlain(typed);
        return EngineOps.pack(typed);
    }

    /**
     * The Hugging Face tensors a configuration needs, with their shapes (computed in long).
     *
     * @param c the configuration
     * @return name to shape, embedding first, in layer order
     */
    public static java.util.Map<String, long[]> expectedTensors(LlamaConfig c) {
        long h = c.hiddenSize();
        long v = c.vocabSize();
        long q = (long) c.numHeads() * c.headDim();
        long kv = (long) c.numKvHeads() * c.headDim();
        long i = c.intermediateSize();
        java.util.Map<String, long[]> m = new java.util.LinkedHashMap<>();
        m.put("model.embed_tokens.weight", new long[] {v, h});
        if (!c.tieWordEmbeddings()) {
            m.put("lm_head.weight", new long[] {v, h});
        }
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            m.put(p + "input_layernorm.weight", new long[] {h});
            m.put(p + "post_attention_layernorm.weight", new long[] {h});
            m.put(p + "self_attn.q_proj.weight", new long[] {q, h});
            m.put(p + "self_attn.k_proj.weight", new long[] {kv, h});
            m.put(p + "self_attn.v_proj.weight", new long[] {kv, h});
            m.put(p + "self_attn.o_proj.weight", new long[] {h, q});
            m.put(p + "mlp.gate_proj.weight", new long[] {i, h});
            m.put(p + "mlp.up_proj.weight", new long[] {i, h});
            m.put(p + "mlp.down_proj.weight", new long[] {h, i});
        }
        m.put("model.norm.weight", new long[] {h});
        return m;
    }

    /**
     * Lists the model's weights under their Hugging Face names, converted to the stored type.
     *
     * @param model the model
     * @param dtype the stored element type
     * @return the entries, embedding first, in layer order
     */
    public static List<SafetensorsWriter.Entry> toHf(LlamaModel model, TensorDType dtype) {
        if (model.layout() == WeightLayout.PACKED || model.layout() == WeightLayout.INT8) {
            throw new IllegalStateException("the model's weights are laid out for inference and cannot be saved;"
                    + " load it with WeightLayout.PLAIN to save or train it");
        }
        LlamaConfig c = model.config();
        int d = c.headDim();
        List<SafetensorsWriter.Entry> out = new ArrayList<>();
        out.add(entry("model.embed_tokens.weight", model.embedding().getArray(), dtype));
        for (int l = 0; l < c.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            DecoderLayer layer = model.layers().get(l);
            out.add(entry(p + "input_layernorm.weight", layer.inputNorm().weight().getArray(), dtype));
            NDArray qkv = layer.attention().qkv().getArray(); // [(heads+2kv)·headDim, hidden]
            try (NDList parts = qkv.split(new long[] {(long) c.numHeads() * d, (long) (c.numHeads() + c.numKvHeads()) * d}, 0)) {
                out.add(entry(p + "self_attn.q_proj.weight", parts.get(0), dtype));
                out.add(entry(p + "self_attn.k_proj.weight", parts.get(1), dtype));
                out.add(entry(p + "self_attn.v_proj.weight", parts.get(2), dtype));
            }
            out.add(entry(p + "self_attn.o_proj.weight", layer.attention().out().getArray(), dtype));
            out.add(entry(p + "post_attention_layernorm.weight", layer.postAttentionNorm().weight().getArray(), dtype));
            NDArray gateUp = layer.mlp().gateUp().getArray(); // [2·intermediate, hidden]
            try (NDList parts = gateUp.split(2, 0)) {
                out.add(entry(p + "mlp.gate_proj.weight", parts.get(0), dtype));
                out.add(entry(p + "mlp.up_proj.weight", parts.get(1), dtype));
            }
            out.add(entry(p + "mlp.down_proj.weight", layer.mlp().down().getArray(), dtype));
        }
        out.add(entry("model.norm.weight", model.norm().weight().getArray(), dtype));
        if (!c.tieWordEmbeddings()) {
            out.add(entry("lm_head.weight", model.lmHead().getArray(), dtype));
        }
        return out;
    }

    private static SafetensorsWriter.Entry entry(String name, NDArray array, TensorDType dtype) {
        float[] values = array.toType(DataType.FLOAT32, false).toFloatArray();
        return SafetensorsWriter.Entry.of(name, dtype, array.getShape().getShape(), values);
    }

    /**
     * Sets every weight of a fresh model from a seeded normal distribution (norms to 1): the
     * starting point for pretraining from scratch, and for random benchmark checkpoints.
     *
     * @param model the model, whose parameters have no arrays yet
     * @param manager the manager that will own the weights
     * @param seed the seed
     * @param std the standard deviation of the projections and embeddings
     */
    public static void initRandom(LlamaModel model, NDManager manager, long seed, float std) {
        RandomWeights.init(model, manager, seed, std, TensorEdit.NONE);
    }

    /**
     * {@link #initRandom(LlamaModel, NDManager, long, float)} with the same draws edited before they are converted,
     * packed or quantized, as a checkpoint's tensors are by {@link HfCheckpoint#open(java.nio.file.Path, TensorEdit)}:
     * each draw is offered under its Hugging Face name as FLOAT32 values (fused weights part by part).
     *
     * @param model the model, whose parameters have no arrays yet
     * @param manager the manager that will own the weights
     * @param seed the seed
     * @param std the standard deviation of the projections and embeddings
     * @param edit applied to every drawn tensor
     */
    public static void initRandom(LlamaModel model, NDManager manager, long seed, float std, TensorEdit edit) {
        RandomWeights.init(model, manager, seed, std, edit);
    }
}
