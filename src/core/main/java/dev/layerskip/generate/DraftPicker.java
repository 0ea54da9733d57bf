package dev.layerskip.generate;

import ai.djl.ndarray.NDArray;

/**
 * Picks the drafts of one draft step, for every row of a batch, from the draft head's logits
 * (<a href="https://arxiv.org/abs/2404.16710">Elhoushi et al., 2024</a>, §4.2): the one place a draft
 * is chosen, for rounds and for the pipeline's drafting thread alike. A greedy row without repetition
 * control is picked on the device (one copy of the ids for the whole batch); any other row from its
 * copied logits, penalised by {@link RepetitionProcessor} with the draft's own context (the tokens
 * before its position, earlier drafts included), exactly as verification penalises that position.
 */
final class DraftPicker {

    private final DraftScorer scorer;
    private final NDArray logits; // [rows, 1, N or vocab]
    private final int rows;
    private int[] onDevice; // greedy ids of every row, copied once
    private float[] top; // top probability of every row, copied once

    /**
     * @param scorer the draft scorer that produced the logits
     * @param logits the draft logits, [rows, 1, N or vocab]; not checked: a bad draft is only a proposal
     * @param rows how many rows
     */
    DraftPicker(DraftScorer scorer, NDArray logits, int rows) {
        this.scorer = scorer;
        this.logits = logits;
        this.rows = rows;
    }

    /**
     * Picks one row's draft.
     *
     * @param r the row
     * @param context the row's repetition context at this draft's position, or null for none
     * @param sampler the row's sampler (greedy rows draw nothing)
     * @param withConfidence whether the draft policy needs the top probability
     * @return the draft
     */
    DraftPick pick(int r, RepetitionProcessor context, Sampler sampler, boolean withConfidence) {
        boolean penalised = context != null && context.active();
        if (sampler.config().isGreedy() && !penalised) {
            if (onDevice == null) {
                onDevice = scorer.greedyRows(logits); // on the device: one id per row is copied
            }
            if (withConfidence && top == null) {
                top = logits.softmax(2).max(new int[] {2}).toFloatArray(); // [rows, 1]
            }
            return new DraftPick(onDevice[r], null, withConfidence ? top[r] : 1);
        }
        float[] values = scorer.vocabularyRow(rows == 1 ? logits : logits.get(r)); // [vocab], -inf outside a draft vocabulary
        if (penalised) {
            context.apply(values);
        }
        double confidence = withConfidence ? topProbability(values) : 1;
        if (sampler.config().isGreedy()) {
            return new DraftPick(Sampler.argmax(values), null, confidence);
        }
        double[] q = scorer.distribution(sampler, values); // drawn from here, reused to accept
        return new DraftPick(sampler.draw(q), q, confidence);
    }

    /**
     * The softmax probability of the most likely token.
     *
     * @param logits one row of logits
     * @return its top probability
     */
    static double topProbability(float[] logits) {
        float max = logits[Sampler.argmax(logits)];
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return 1 / sum;
    }
}
