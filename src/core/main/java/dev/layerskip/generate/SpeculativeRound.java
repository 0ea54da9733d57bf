package dev.layerskip.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.layerskip.model.KvCache;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.RowPositions;

import java.util.ArrayList;
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

    private final NDManager manager;
    private final KvCache cache;
    private final Drafter drafter;
    private final Verifier verifier;

    SpeculativeRound(LlamaModel model, int exitLayer, DraftScorer scorer, NDManager manager, KvCache cache) {
        this.manager = manager;
        this.cache = cache;
        this.drafter = new Drafter(model, exitLayer, scorer, cache);
        this.verifier = new Verifier(model, exitLayer, cache);
    }

    /**
     * Runs one round for every row (row r in cache lane r).
     *
     * @param rows the rows, none finished
     */
    void run(List<BatchRow> rows) {
        List<RoundRow> round = new ArrayList<>(rows.size());
        for (int r = 0; r < rows.size(); r++) {
            round.add(new RoundRow(rows.get(r), cache.length(r)));
        }
        RoundTimer timer = RoundTimer.drafting();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList exitStates = draft(round, timer); // x_E of every step, each [rows, 1, hidden]
            int steps = exitStates.size();
            // Layers [E, L) over every row's positions s..s+d from the kept x_E; padding goes to the scratch slot.
            NDArray kept = steps == 1 ? exitStates.get(0) : NDArrays.concat(exitStates, 1); // [rows, steps, hidden]
            int[] starts = new int[round.size()];
            int[] verified = new int[round.size()];
            for (int r = 0; r < round.size(); r++) {
                starts[r] = round.get(r).start;
                verified[r] = round.get(r).count() + 1;
            }
            Verification verification = verifier.verify(kept, new RowPositions(0, starts, steps, verified));
            for (int r = 0; r < round.size(); r++) {
                accept(r, round.get(r), verification, timer);
            }
        }
    }

    /**
     * Draft steps until no row drafts: step i feeds every row's newest token at s+i through [0, E) and
     * rows still drafting take a draft; the last step only feeds the final drafts (its cost counts as
     * verification).
     */
    private NDList draft(List<RoundRow> round, RoundTimer timer) {
        int k = round.size();
        NDList exitStates = new NDList();
        for (int step = 0; ; step++) {
            int[] input = new int[k];
            int[] at = new int[k];
            int[] real = new int[k];
            boolean drafting = false;
            for (int r = 0; r < k; r++) {
                RoundRow row = round.get(r);
                input[r] = row.input();
                at[r] = row.start + step;
                real[r] = row.realAt(step);
                drafting |= row.open();
            }
            if (!drafting) {
                timer.verificationStarts();
            }
            NDArray exitState = drafter.feed(manager, input, new RowPositions(0, at, 1, real)); // [rows, 1, hidden]
            exitStates.add(exitState);
            if (!drafting) {
                return exitStates;
            }
            DraftPicker picker = drafter.picker(exitState, k);
            for (int r = 0; r < k; r++) {
                RoundRow row = round.get(r);
                if (row.open()) {
                    BatchRow b = row.row;
                    row.take(picker.pick(r, b.penalties, b.sampler, b.draftLength.stopBelow() > 0));
                }
            }
        }
    }

    /** Decides and commits one row's round; a non-finite verification ends only that row. */
    private void accept(int r, RoundRow round, Verification verification, RoundTimer timer) {
        BatchRow row = round.row;
        RuntimeException failure = verification.nonFinite(r, round.count() + 1, round.start);
        if (failure != null) {
            row.fail(failure);
            return;
        }
        int[] drafts = round.drafts();
        int[] emitted = verification.emitted(r, row, round.context, drafts, round.draftProbs());
        verifier.commit(row, r, round.start, emitted, drafts, emitted.length - 1, timer,
                verification.logprobs(r, row, emitted));
    }
}
