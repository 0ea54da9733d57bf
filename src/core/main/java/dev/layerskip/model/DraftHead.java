package dev.layerskip.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

import java.util.Arrays;

/**
 * The exit head restricted to a draft vocabulary: final RMSNorm, then a sub-head [N, hidden] made of
 * the LM head's rows for N token ids. Drafting with it scores N tokens instead of the whole
 * vocabulary; verification keeps the full head, so it changes only which tokens are proposed.
 *
 * <p>Built once per model and id set ({@link #of}) from the head's plain rows, in the model's weight
 * type, and packed for oneDNN when the model's layout is PACKED, so a product with it costs what the
 * model's other products cost per row. Its arrays belong to the model's manager and live as long as
 * the model.
 */
public final class DraftHead {

    private final LlamaModel model;
    private final int[] ids;
    private final NDArray subHead; // [N, hidden], the model's weight type, packed when the model is (int8: FBGEMM's)
    private final NDArray int8Companion; // [2, N] for an int8 model (scales, row sums), else null
    private final Projection projection; // products with subHead, in the model's layout

    private DraftHead(LlamaModel model, int[] ids, NDList subHead) {
        this.model = model;
        this.ids = ids;
        this.subHead = subHead.get(0);
        this.int8Companion = subHead.size() > 1 ? subHead.get(1) : null;
        this.projection = Projection.of(() -> this.subHead, () -> int8Companion, model.config().hiddenSize(), model.layout());
    }

    /**
     * The draft head of a model over some token ids, built on first use and shared afterwards.
     *
     * @param model the model
     * @param ids the draft vocabulary: distinct ids in 0..V-1, ascending, at least one
     * @return the draft head
     * @throws IllegalArgumentException if the ids are empty, unsorted, repeated or out of range (named)
     */
    public static DraftHead of(LlamaModel model, int[] ids) {
        int v = model.config().vocabSize();
        if (ids == null || ids.length == 0 || ids.length > v) {
            throw new IllegalArgumentException("a draft vocabulary needs 1.." + v + " ids, got "
                    + (ids == null ? "none" : ids.length));
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= v) {
                throw new IllegalArgumentException("draft vocabulary id " + ids[i] + " is outside 0.." + (v - 1));
            }
            if (i > 0 && ids[i] <= ids[i - 1]) {
                throw new IllegalArgumentException("draft vocabulary ids must be distinct and ascending, got "
                        + ids[i - 1] + " before " + ids[i]);
            }
        }
        Key key = new Key(ids.clone());
        return model.draftHead(key, () -> new DraftHead(model, key.ids, rows(model, key.ids)));
    }

    private static NDList rows(LlamaModel model, int[] ids) {
        NDManager owner = model.manager();
        try (NDManager scratch = owner.newSubManager()) {
            NDArray index = scratch.create(ids); // [N]
            NDArray picked = model.headForms().rows(index); // [N, hidden]
            NDList sub = switch (model.layout()) {
                case PACKED -> new NDList(EngineOps.pack(picked));
                case INT8 -> Int8Weights.quantize(picked, "the draft head's rows"); // the full head's rows, bit for bit
                default -> new NDList(picked);
            };
            sub.attach(owner); // outlives the scratch manager, like the model's weights
            return sub;
        }
    }

    /** @return N, the number of draft tokens */
    public int size() {
        return ids.length;
    }

    /** @return the draft vocabulary's ids, ascending (a copy) */
    public int[] ids() {
        return ids.clone();
    }

    /**
     * @param index a position in the draft vocabulary, 0..N-1
     * @return its token id in the full vocabulary
     */
    public int tokenId(int index) {
        return ids[index];
    }

    /** @return the sub-head, [N, hidden], as the products use it (packed when the model is) */
    public NDArray weight() {
        return subHead;
    }

    /**
     * Draft logits over the N tokens: the model's final norm, then the sub-head.
     *
     * @param hidden x_E, [batch, seq, hidden]
     * @return [batch, seq, N] FLOAT32; entry j scores token {@link #tokenId}(j)
     */
    public NDArray logits(NDArray hidden) {
        return projection.apply(model.norm().apply(hidden)); // [batch, seq, N]
    }

    /**
     * Spreads draft logits over the full vocabulary, with negative infinity outside the draft
     * vocabulary (probability zero after a softmax).
     *
     * @param draftLogits N values
     * @return V values
     */
    public float[] toVocabulary(float[] draftLogits) {
        if (draftLogits.length != ids.length) {
            throw new IllegalArgumentException("expected " + ids.length + " draft logits, got " + draftLogits.length);
        }
        float[] row = new float[model.config().vocabSize()];
        Arrays.fill(row, Float.NEGATIVE_INFINITY);
        for (int j = 0; j < ids.length; j++) {
            row[ids[j]] = draftLogits[j];
        }
        return row;
    }

    /** Identity of an id set (arrays compare by reference). */
    private record Key(int[] ids) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && Arrays.equals(ids, k.ids);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(ids);
        }
    }
}
