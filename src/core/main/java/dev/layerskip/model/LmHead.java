package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A model's LM head in the forms its uses need: the array products read (for a packed model with a tied head, a
 * packed copy of the embedding), the rows look-ups read (the plain or int8 rows held, or for a packed or int8 model
 * loaded from a checkpoint the file's rows, {@link StoredRows}), and the draft heads built from those rows, cached for
 * the model's life.
 */
final class LmHead {

    private final Parameter embedding; // [vocab, hidden]
    private final Parameter lmHead; // [vocab, hidden]; the embedding when tied
    private final Parameter rowScales; // [vocab]: the int8 layout's per-row scales of the head's rows, else null
    private final boolean tied;
    private final WeightLayout layout;
    private final NDManager manager;
    private final DataType weightType;
    private final Map<Object, DraftHead> draftHeads = new HashMap<>(); // by id set; guarded by itself
    private NDArray packedTiedHead; // [vocab, hidden] packed copy of the embedding, else null
    private NDArray plainUntiedHead; // [vocab, hidden] plain copy of a packed untied lm_head, else null
    private NDList int8Head; // the int8 layout's head: FBGEMM's packed matrix and its [2, vocab] companion, else null
    private StoredRows embeddingFile; // int8 or packed, from a checkpoint: the embedding's rows, read when looked up
    private StoredRows headFile; // the head's rows likewise (the embedding's when tied), else null

    LmHead(Parameter embedding, Parameter lmHead, Parameter rowScales, boolean tied, WeightLayout layout, NDManager manager,
            DataType weightType) {
        this.weightType = weightType;
        this.embedding = embedding;
        this.lmHead = lmHead;
        this.rowScales = rowScales;
        this.tied = tied;
        this.layout = layout;
        this.manager = manager;
    }

    /** @return the head as the products read it, [vocab, hidden] */
    NDArray forProducts() {
        if (int8Head != null) {
            return int8Head.get(0);
        }
        return packedTiedHead != null ? packedTiedHead : lmHead.getArray();
    }

    /** @return the int8 head's [2, vocab] companion (scales, row sums); only in the int8 layout */
    NDArray int8Companion() {
        if (int8Head == null) {
            throw new IllegalStateException("the LM head is not int8");
        }
        return int8Head.get(1);
    }

    /** @return the int8 layout's per-row scales of the head's rows, [vocab]; else null */
    Parameter rowScales() {
        return rowScales;
    }

    /**
     * The head's rows as floats.
     *
     * @param ids the rows, [n]
     * @return [n, hidden] in the weight type (int8: dequantized float32, or from the file as stored)
     */
    NDArray rows(NDArray ids) {
        if (headFile != null) {
            NDArray stored = fromFile(headFile, ids); // [n, hidden] FLOAT32
            return layout == WeightLayout.INT8 ? stored : inWeightType(stored); // [n, hidden]
        }
        return Int8Weights.rows(plainRows(), rowScales == null ? null : rowScales.getArray(), ids); // [n, hidden]
    }

    /** @return whether the embedding's rows are read from the checkpoint file ({@link #embeddingRows}) */
    boolean embeddingInFile() {
        return embeddingFile != null;
    }

    /**
     * Embedding rows read from the checkpoint file: for int8 as stored, otherwise rounded to the weight type as the
     * table the model would hold (float32 or bfloat16) would have them.
     *
     * @param ids token ids, [...]
     * @return [..., hidden] FLOAT32, in ids' manager
     */
    NDArray embeddingRows(NDArray ids) {
        NDArray stored = fromFile(embeddingFile, ids); // [..., hidden] FLOAT32
        if (layout == WeightLayout.INT8 || weightType == DataType.FLOAT32) {
            return stored;
        }
        NDArray rounded = inWeightType(stored); // [..., hidden]
        stored.close();
        return rounded.toType(DataType.FLOAT32, false);
    }

    /** Float32 rows in the weight type (bfloat16 rounded as loading rounds it), a new array. */
    private NDArray inWeightType(NDArray rows) {
        if (weightType == DataType.BFLOAT16) {
            return EngineOps.toBf16(rows);
        }
        return rows.toType(weightType, true);
    }

    private static NDArray fromFile(StoredRows table, NDArray ids) {
        int[] flat = ids.toType(DataType.INT32, false).toIntArray(); // [n]
        NDArray rows = table.read(ids.getManager(), flat); // [n, hidden]
        return rows.reshape(ids.getShape().addAll(new Shape(table.width()))); // [..., hidden]
    }

    /**
     * For an int8 or packed model loaded from a checkpoint: its tables' rows are read from the file when looked up,
     * and only the head the products use is held ({@link #setInt8Head}, {@link #setPackedHead}). The files close with
     * the model's manager.
     *
     * @param embedding the embedding's rows
     * @param head an untied head's rows, or null when tied (the embedding's)
     */
    void readRowsFromFile(StoredRows embedding, StoredRows head) {
        if ((layout != WeightLayout.INT8 && layout != WeightLayout.PACKED) || embeddingFile != null || tied != (head == null)) {
            throw new IllegalStateException("only an int8 or packed model reads its rows from the file, once");
        }
        manager.attachInternal("layerskip-rows-" + java.util.UUID.randomUUID(), embedding);
        if (head != null) {
            manager.attachInternal("layerskip-rows-" + java.util.UUID.randomUUID(), head);
        }
        embeddingFile = embedding;
        headFile = tied ? embedding : head;
    }

    /**
     * For an int8 model whose rows stay in the file: the head the products use, packed by the loader, once.
     *
     * @param packed FBGEMM's packed matrix and its [2, vocab] companion
     */
    void setInt8Head(NDList packed) {
        if (layout != WeightLayout.INT8 || headFile == null || int8Head != null) {
            throw new IllegalStateException("the int8 head is set once, for an int8 model whose rows stay in the file");
        }
        packed.attach(manager);
        int8Head = packed;
    }

    /**
     * For the int8 layout: lays the head out for the products from its int8 rows (the embedding's when tied), once
     * at load; the rows are not quantized again.
     */
    void quantize() {
        if (layout != WeightLayout.INT8 || int8Head != null) {
            throw new IllegalStateException("only an int8 model quantizes its head, once");
        }
        NDList q = Int8Weights.pack(plainRows(), rowScales.getArray());
        q.attach(manager);
        int8Head = q;
    }

    /**
     * For a packed model whose rows stay in the file: the head the products use, packed by the loader, once.
     *
     * @param packed the head laid out for oneDNN, [vocab, hidden]
     */
    void setPackedHead(NDArray packed) {
        if (layout != WeightLayout.PACKED || headFile == null || packedTiedHead != null || lmHead.isInitialized()) {
            throw new IllegalStateException("the packed head is set once, for a packed model whose rows stay in the file");
        }
        packed.attach(manager);
        if (tied) {
            packedTiedHead = packed;
        } else {
            lmHead.setArray(packed);
        }
    }

    /** @return the head as plain rows that can be indexed, [vocab, hidden] */
    NDArray plainRows() {
        if (headFile != null) {
            throw new IllegalStateException("this model reads its head's rows from " + headFile
                    + " when they are looked up; it holds no plain copy");
        }
        if (tied) {
            return embedding.getArray();
        }
        return plainUntiedHead != null ? plainUntiedHead : lmHead.getArray();
    }

    /** @return the bytes of the copies held beside the parameters */
    long copyBytes() {
        return (packedTiedHead == null ? 0 : EngineOps.bytes(packedTiedHead))
                + (plainUntiedHead == null ? 0 : EngineOps.bytes(plainUntiedHead))
                + (int8Head == null ? 0 : int8Head.get(1).getShape().get(1) * hidden() + EngineOps.bytes(int8Head.get(1))); // 1 byte a weight
    }

    private long hidden() {
        return headFile != null ? headFile.width() : plainRows().getShape().get(1);
    }

    /** For a packed model with a tied head: packs a copy of the embedding for the products, once (the loader). */
    void packTied() {
        if (layout != WeightLayout.PACKED || !tied || packedTiedHead != null) {
            throw new IllegalStateException("only a packed model with a tied head packs its head, once");
        }
        packedTiedHead = EngineOps.pack(embedding.getArray());
        packedTiedHead.attach(manager);
    }

    /**
     * For a packed model with an untied head: keeps the plain head beside the packed one, once (the loader).
     *
     * @param plain the plain lm_head, [vocab, hidden], owned by the weights' manager
     */
    void keepPlain(NDArray plain) {
        if (layout != WeightLayout.PACKED || tied || plainUntiedHead != null) {
            throw new IllegalStateException("only a packed model with an untied head keeps a plain copy, once");
        }
        plainUntiedHead = plain;
    }

    /**
     * @param key a draft vocabulary's identity
     * @param build makes its head on first use
     * @return the cached or new draft head
     */
    DraftHead draftHead(Object key, Supplier<DraftHead> build) {
        synchronized (draftHeads) {
            return draftHeads.computeIfAbsent(key, k -> build.get());
        }
    }
}
