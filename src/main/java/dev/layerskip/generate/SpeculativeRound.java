package dev.layerskip.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;

import dev.layerskip.model.KvCache;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.RowPositions;

import java.util.Arrays;
import java.util.List;

/**
 * One round of LayerSkip's self-speculative decoding (<a href="https://arxiv.org/abs/2404.16710">Elhoushi
 * et al., 2024</a>, §4.2) for every row of a batch at once; a single generation is a batch of one.
 *
 * <p>Each row starts from its last accepted token t at its position s (not yet in the cache):
 * <ol>
 *   <li>Draft: step i feeds every row's newest token through layers [0, E) at s+i, writing those
 *       layers' cache entries and keeping x_E (the exit query cache); rows still drafting take a draft
 *       from the exit head. A row drafts up to its own limit (its draft policy and what it may still
 *       emit) and may stop early on low confidence; the step after its last draft feeds that draft,
 *       and later steps give the row padding positions, written to the cache's scratch slot.
 *   <li>Verify: layers [E, L) run once over every row's s..s+d_row from the kept x_E. No layer runs
 *       twice for a position.
 *   <li>Accept per row by {@link SpeculativeAcceptance}: the agreeing drafts plus one full-model token.
 *   <li>Roll each lane back to its accepted length: a pointer move.
 * </ol>
 * Each row's tokens, random draws and penalties are exactly those of the row run alone (greedy output
 * is the full model's; sampling keeps its distribution): rows only share the passes.
 */
final class SpeculativeRound {

    private final LlamaModel model;
    private final int exitLayer;
    private final DraftScorer drafter;
    private final NDManager manager;
    private final KvCache cache;

    SpeculativeRound(LlamaModel model, int exitLayer, DraftScorer drafter, NDManager manager, KvCache cache) {
        this.model = model;
        this.exitLayer = exitLayer;
        this.drafter = drafter;
        this.manager = manager;
        this.cache = cache;
    }

    /**
     * Runs one round for every row (row r in cache lane r).
     *
     * @param rows the rows, none finished
     */
    void run(List<BatchRow> rows) {
        int k = rows.size();
        int[] start = new int[k]; // position of each row's last token, not yet in the cache
        int[] limit = new int[k]; // at most remaining-1 drafts: a round yields up to drafts+1 tokens
        int[] count = new int[k];
        int[] context = new int[k];
        int[] input = new int[k];
        boolean[] open = new boolean[k];
        int[][] drafts = new int[k][];
        double[][][] draftProbs = new double[k][][]; // q per draft, kept when sampling for the accept rule
        for (int r = 0; r < k; r++) {
            BatchRow row = rows.get(r);
            row.beginStep();
            start[r] = cache.length(r);
            limit[r] = Math.min(row.drafts, row.out.remaining() - 1);
            context[r] = row.penalties.length(); // prompt + accepted output, the last token included
            input[r] = row.token;
            open[r] = limit[r] > 0;
            drafts[r] = new int[limit[r]];
            draftProbs[r] = new double[limit[r]][];
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList exitStates = new NDList(); // x_E of steps 0..i, each [rows, 1, hidden]
            long t0 = System.nanoTime();
            long t1 = t0;
            int steps = 0;
            while (true) {
                boolean drafting = false;
                int[] real = new int[k];
                int[] at = new int[k];
                for (int r = 0; r < k; r++) {
                    real[r] = count[r] == steps ? 1 : 0; // a row feeds its newest token once, then pads
                    at[r] = start[r] + steps;
                    drafting |= open[r];
                }
                if (!drafting) {
                    t1 = System.nanoTime(); // the last pass feeds the final drafts: verification cost
                }
                NDArray x = model.embed(manager.create(input).reshape(k, 1)); // [rows, 1, hidden]
                NDArray xE = model.forwardLayers(x, 0, exitLayer, cache, new RowPositions(0, at, 1, real)); // [rows, 1, hidden]
                exitStates.add(xE);
                steps++;
                if (!drafting) {
                    break;
                }
                draft(rows, drafter.logits(xE), open, count, limit, drafts, draftProbs, input); // [rows, 1, N or vocab]
            }
            // Layers [E, L) over every row's positions s..s+d from the kept x_E; padding goes to the scratch slot.
            NDArray kept = steps == 1 ? exitStates.get(0) : NDArrays.concat(exitStates, 1); // [rows, steps, hidden]
            int[] verified = new int[k];
            for (int r = 0; r < k; r++) {
                verified[r] = count[r] + 1;
            }
            NDArray full = model.exitHead(model.forwardLayers(kept, exitLayer, model.numLayers(), cache,
                    new RowPositions(0, start, steps, verified))); // [rows, steps, vocab]
            // Every emitted token comes from these logits, so this check guards the output (drafts need none).
            boolean[] finite = FiniteCheck.finitePositions(full); // [rows, steps]
            long[] targets = null;
            long now = System.nanoTime();
            for (int r = 0; r < k; r++) {
                BatchRow row = rows.get(r);
                int d = count[r];
                boolean allFinite = true;
                for (int i = 0; i <= d; i++) {
                    allFinite &= finite[r * steps + i];
                }
                if (!allFinite) {
                    row.fail(FiniteCheck.failure("exit layer " + model.numLayers() + ", positions " + start[r] + ".."
                            + (start[r] + d)));
                    continue;
                }
                int[] draftIds = Arrays.copyOf(drafts[r], d);
                int[] accepted;
                if (row.picksOnDevice()) {
                    if (targets == null) {
                        targets = full.argMax(2).toLongArray(); // [rows, steps]: only ids are copied
                    }
                    int[] rowTargets = new int[d + 1];
                    for (int i = 0; i <= d; i++) {
                        rowTargets[i] = (int) targets[r * steps + i];
                    }
                    accepted = SpeculativeAcceptance.decideGreedy(draftIds, rowTargets);
                } else {
                    NDArray rowLogits = full.get(new NDIndex().addIndices(r).addSliceDim(0, d + 1)); // [d+1, vocab]
                    float[][] verifyRows = split(rowLogits.toFloatArray(), d + 1);
                    for (int i = d; i >= 0; i--) { // last row first: the context only shrinks
                        row.penalties.truncate(context[r] + i); // row i follows the last token and drafts 0..i-1
                        row.penalties.apply(verifyRows[i]);
                    }
                    accepted = SpeculativeAcceptance.decide(draftIds, Arrays.copyOf(draftProbs[r], d), verifyRows,
                            row.sampler);
                }
                row.penalties.truncate(context[r]);
                // Positions s .. s+k hold the last token and the k accepted drafts; the rest is discarded.
                cache.commit(r, start[r] + accepted.length);
                row.cacheProbe.accept(cache.length(r));
                row.stats.record(d, accepted.length - 1, t1 - t0, now - t1);
                row.listener.onDraft(draftIds, accepted.length - 1);
                row.acceptStep(accepted);
            }
        }
    }

    /** Takes one draft for every row still drafting, from the exit head's logits of this step. */
    private void draft(List<BatchRow> rows, NDArray logits, boolean[] open, int[] count, int[] limit,
            int[][] drafts, double[][][] draftProbs, int[] input) {
        int k = rows.size(); // logits: [rows, 1, N or vocab]; not checked: a bad draft is only a proposal
        int[] onDevice = null;
        float[] top = null;
        for (int r = 0; r < k; r++) {
            if (!open[r]) {
                continue;
            }
            BatchRow row = rows.get(r);
            double threshold = row.draftLength.stopBelow();
            int next;
            double confidence = 1;
            if (row.picksOnDevice()) {
                if (onDevice == null) {
                    onDevice = drafter.greedyRows(logits); // on the device: one id per row is copied
                }
                next = onDevice[r];
                if (threshold > 0) {
                    if (top == null) {
                        top = logits.softmax(2).max(new int[] {2}).toFloatArray(); // [rows, 1]
                    }
                    confidence = top[r];
                }
            } else {
                float[] values = row.penalties.apply(drafter.vocabularyRow(k == 1 ? logits : logits.get(r))); // [vocab], -inf outside a draft vocabulary
                if (row.sampler.config().isGreedy()) {
                    next = Sampler.argmax(values);
                } else {
                    draftProbs[r][count[r]] = drafter.distribution(row.sampler, values); // drawn from here, reused to accept
                    next = row.sampler.draw(draftProbs[r][count[r]]);
                }
                confidence = threshold > 0 ? topProbability(values) : 1;
            }
            drafts[r][count[r]++] = next;
            row.penalties.push(next); // the next draft's context includes this one
            input[r] = next;
            if (confidence < threshold || count[r] == limit[r]) {
                open[r] = false;
            }
        }
    }

    private static float[][] split(float[] flat, int n) {
        int v = flat.length / n;
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = Arrays.copyOfRange(flat, i * v, (i + 1) * v);
        }
        return out;
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
