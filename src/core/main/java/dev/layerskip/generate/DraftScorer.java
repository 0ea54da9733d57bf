package dev.layerskip.generate;

import ai.djl.ndarray.NDArray;

import dev.layerskip.model.ForwardPath;
import dev.layerskip.model.DraftHead;
import dev.layerskip.model.LlamaModel;

import java.util.Optional;

/**
 * How a self-speculative draft scores its next token: with the model's full exit head, or with a
 * {@link DraftHead} over a draft vocabulary of N frequent tokens. Verification always uses the full
 * head, so greedy output stays that of the full model and sampling keeps its distribution: a restricted
 * draft only proposes tokens from the N, its distribution q is zero outside them, and the accept rule
 * ({@link SpeculativeAcceptance}) corrects for that.
 */
public final class DraftScorer {

    private final LlamaModel model;
    private final DraftHead head; // null: the full head

    private DraftScorer(LlamaModel model, DraftHead head) {
        this.model = model;
        this.head = head;
    }

    /**
     * @param model the model
     * @return drafts scored by the full exit head
     */
    public static DraftScorer full(LlamaModel model) {
        return new DraftScorer(model, null);
    }

    /**
     * @param model the model
     * @param ids the draft vocabulary, distinct ids ascending (see {@link DraftHead#of})
     * @return drafts scored over these ids only
     */
    public static DraftScorer restricted(LlamaModel model, int[] ids) {
        return new DraftScorer(model, DraftHead.of(model, ids));
    }

    /** @return the draft head, or empty for the full head */
    public Optional<DraftHead> head() {
        return Optional.ofNullable(head);
    }

    /** @return how many tokens a draft scores: N, or the vocabulary size */
    public int size() {
        return head != null ? head.size() : model.config().vocabSize();
    }

    /**
     * Draft logits of one position.
     *
     * @param exitState x_E, [1, 1, hidden]
     * @return [1, 1, N] (or [1, 1, vocab] for the full head)
     */
    public NDArray logits(NDArray exitState) {
        return head != null ? head.logits(exitState) : model.exitHead(exitState, ForwardPath.FUSED);
    }

    /**
     * The greedy draft: the argmax on the device, one index copied, mapped to its vocabulary id.
     *
     * @param logits from {@link #logits}
     * @return the token id
     */
    public int greedy(NDArray logits) {
        return greedyRows(logits)[0];
    }

    /**
     * Every row's greedy draft, picked on the device (only the ids are copied).
     *
     * @param logits {@link #logits}' output for a batch, [rows, 1, N or vocab]
     * @return one vocabulary id per row
     */
    public int[] greedyRows(NDArray logits) {
        long[] index = logits.argMax(2).toLongArray(); // [rows, 1]; ties go to the lowest index
        int[] out = new int[index.length];
        for (int r = 0; r < out.length; r++) {
            out[r] = head != null ? head.tokenId((int) index[r]) : (int) index[r];
        }
        return out;
    }

    /**
     * The draft logits over the whole vocabulary on the host, negative infinity outside the draft
     * vocabulary (so repetition control, temperature, top-k/top-p and the softmax apply as for full
     * drafts, and q is zero outside the N).
     *
     * @param logits from {@link #logits}
     * @return V values
     */
    public float[] vocabularyRow(NDArray logits) {
        float[] values = logits.toFloatArray();
        return head != null ? head.toVocabulary(values) : values;
    }

    /**
     * The draft distribution q of a (penalised) row from {@link #vocabularyRow}: the sampler's, or, when
     * repetition control has banned every token of the draft vocabulary, a point mass on its first id.
     * Any q keeps the full model's distribution under the accept rule; there the full model gives that
     * token probability 0 too, so the draft is rejected and the token drawn from p.
     *
     * @param sampler the sampler
     * @param row the draft logits over the vocabulary
     * @return q over the vocabulary
     */
    public double[] distribution(Sampler sampler, float[] row) {
        if (head != null && row[Sampler.argmax(row)] == Float.NEGATIVE_INFINITY) {
            double[] q = new double[row.length];
            q[head.tokenId(0)] = 1;
            return q;
        }
        return sampler.distribution(row);
    }
}
