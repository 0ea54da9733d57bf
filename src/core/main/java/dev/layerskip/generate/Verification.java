package dev.layerskip.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;

import java.util.Arrays;

/**
 * The full model's logits at the positions of one verification pass, and the accept decision per row.
 *
 * <p>The penalised-context rule lives here once: verification row i of a round (the position after
 * the last accepted token and drafts 0..i-1) is penalised with the context "accepted text, then drafts
 * 0..i-1", the same context its draft was picked with, so greedy output stays that of autoregressive
 * decoding under repetition control and sampling keeps the penalised distribution.
 */
final class Verification {

    private final NDArray logits; // [rows, steps, vocab]
    private final boolean[] finite; // [rows, steps]
    private final int steps;
    private final int layers;
    private long[] targets; // [rows, steps] greedy ids, copied once for the rows that pick on the device
    private final float[][][] hostRows; // [rows][positions][vocab], copied once per row when the host needs them

    /**
     * @param logits the full model's logits, [rows, steps, vocab]
     * @param layers L, for messages
     */
    Verification(NDArray logits, int layers) {
        this.logits = logits;
        this.finite = FiniteCheck.finitePositions(logits); // every emitted token comes from these logits
        this.steps = (int) logits.getShape().get(1);
        this.layers = layers;
        this.hostRows = new float[(int) logits.getShape().get(0)][][];
    }

    /** Row r's first n positions on the host, raw (callers copy before changing them); copied once. */
    private float[][] host(int r, int n) {
        if (hostRows[r] == null || hostRows[r].length < n) {
            float[] flat = logits.get(new NDIndex().addIndices(r).addSliceDim(0, n)).toFloatArray(); // [n, vocab]
            int vocab = flat.length / n;
            float[][] rows = new float[n][];
            for (int i = 0; i < n; i++) {
                rows[i] = Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab); // [vocab]
            }
            hostRows[r] = rows;
        }
        return hostRows[r];
    }

    /**
     * Checks a row's first positions; drafts need no check (they are only proposals).
     *
     * @param r the row
     * @param count how many positions it verifies
     * @param start the first one's position, for the message
     * @return the failure naming the positions, or null when all are finite
     */
    RuntimeException nonFinite(int r, int count, int start) {
        for (int i = 0; i < count; i++) {
            if (!finite[r * steps + i]) {
                return FiniteCheck.failure("exit layer " + layers + ", positions " + start + ".." + (start + count - 1));
            }
        }
        return null;
    }

    /**
     * The accept rule for one row ({@link SpeculativeAcceptance}): the agreeing drafts followed by one
     * token of the full model; greedy rows get exactly the full model's tokens, sampled rows tokens
     * distributed as the full model's. Leaves the row's repetition context at {@code contextLength}.
     *
     * @param r the row
     * @param row its state: sampler and repetition context
     * @param contextLength the context's length through the token fed at the first position
     * @param drafts the drafts fed at the following positions, d of them (d+1 positions are verified)
     * @param draftProbs q of each draft (sampling), or nulls (greedy)
     * @return the tokens to emit
     */
    int[] emitted(int r, BatchRow row, int contextLength, int[] drafts, double[][] draftProbs) {
        row.penalties.truncate(contextLength);
        int n = drafts.length + 1;
        if (row.picksOnDevice()) {
            if (targets == null) {
                targets = logits.argMax(2).toLongArray(); // [rows, steps]: only ids are copied
            }
            int[] rowTargets = new int[n];
            for (int i = 0; i < n; i++) {
                rowTargets[i] = (int) targets[r * steps + i];
            }
            return SpeculativeAcceptance.decideGreedy(drafts, rowTargets);
        }
        float[][] rows = penalisedRows(r, n, row.penalties, drafts);
        return SpeculativeAcceptance.decide(drafts, draftProbs, rows, row.sampler);
    }

    /**
     * The log-probabilities of emitted tokens under the full model's raw logits at their positions
     * (the verifier's: those of autoregressive decoding).
     *
     * @param r the row
     * @param row its state: which log-probabilities it reports
     * @param emitted the tokens emitted at positions 0, 1, ...
     * @return one per token, or null when the row reports none
     */
    TokenLogprob[] logprobs(int r, BatchRow row, int[] emitted) {
        if (!row.logprobs().enabled()) {
            return null;
        }
        int top = row.logprobs().top();
        float[][] raw = host(r, emitted.length); // [n][vocab]
        TokenLogprob[] out = new TokenLogprob[emitted.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = TokenLogprob.of(raw[i], emitted[i], top);
        }
        return out;
    }

    /** Row r's first n positions copied to the host, position i penalised with the context plus drafts 0..i-1. */
    private float[][] penalisedRows(int r, int n, RepetitionProcessor context, int[] drafts) {
        int length = context.length();
        float[][] raw = host(r, n); // [n][vocab], kept unpenalised for the log-probabilities
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = context.apply(raw[i].clone());
            if (i < drafts.length) {
                context.push(drafts[i]); // the next position follows this draft
            }
        }
        context.truncate(length);
        return out;
    }
}
