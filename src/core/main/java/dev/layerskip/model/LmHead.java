package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A model's LM head in the forms its uses need: the array products read (for a packed model with a tied head, a
 * packed copy of the embedding), the plain rows look-ups read (for a packed untied head, the plain copy kept at load),
 * and the draft heads built from those rows, cached for the model's life.
 */
final class LmHead {

    private final Parameter embedding; // [vocab, hidden]
    private final Parameter lmHead; // [vocab, hidden]; the embedding when tied
    private final Parameter rowScales; // [vocab]: the int8 layout's per-row scales of the head's rows, else null
    private final boolean tied;
    private final WeightLayout layout;
    private final NDManager manager;
    private final Map<Object, DraftHead> draftHeads = new HashMap<>(); // by id set; guarded by itself
    private NDArray packedTiedHead; // [vocab, hidden] packed copy of the embedding, else null
    private NDArray plainUntiedHead; // [vocab, hidden] plain copy of a packed untied lm_head, else null
    private NDList int8Head; // the int8 layout's head: FBGEMM's packed matrix and its [2, vocab] companion, else null

    LmHead(Parameter embedding, Parameter lmHead, Parameter rowScales, boolean tied, WeightLayout layout, NDManager manager) {
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
     * @return [n, hidden] in the weight type (int8: dequantized float32)
     */
    NDArray rows(NDArray ids) {
        return Int8Weights.rows(plainRows(), rowScales == null ? null : rowScales.getArray(), ids); // [n, hidden]
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

    /** @return the head as plain rows that can be indexed, [vocab, hidden] */
    NDArray plainRows() {
        if (tied) {
            return embedding.getArray();
        }
        return plainUntiedHead != null ? plainUntiedHead : lmHead.getArray();
    }

    /** @return the bytes of the copies held beside the parameters */
    long copyBytes() {
        return (packedTiedHead == null ? 0 : EngineOps.bytes(packedTiedHead))
                + (plainUntiedHead == null ? 0 : EngineOps.bytes(plainUntiedHead))
                + (int8Head == null ? 0 : plainRows().getShape().size() + EngineOps.bytes(int8Head.get(1))); // 1 byte a weight
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
