package dev.layerskip.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;

import dev.layerskip.model.ForwardPath;
import dev.layerskip.model.KvCache;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.RowPositions;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Sequences decoded together: one forward pass per step serves every row, each row with its own
 * positions, cache lane, sampler, stop conditions and listener (rolling batching: rows join with
 * {@link #join} at step boundaries and leave when they finish). The single-sequence generators are
 * this class with one row, so batched and unbatched decoding run the same step logic.
 *
 * <p>All rows share one strategy: autoregressive decoding through layers [0, E) (E = L is the full
 * model), or self-speculative decoding drafting with [0, E) ({@link SpeculativeRound}). Greedy rows
 * without a repetition penalty pick their tokens on the device, for the whole batch in one copy.
 *
 * <p>Not thread-safe: one thread steps a batch.
 */
final class RollingBatch implements AutoCloseable {

    /** Prompt positions whose logits are computed and copied at once for prompt log-probabilities. */
    private static final int PROMPT_SLICE = 64;

    private final LlamaModel model;
    private final BatchPlan plan;
    private final int exitLayer;
    private final int maxRows;
    private final NDManager manager;
    private final List<BatchRow> rows = new ArrayList<>(); // row i uses cache lane i
    private KvCache cache; // null while empty

    /**
     * @param model the model
     * @param plan the rows' exit layer, drafting and schedule
     * @param maxRows the most rows at once
     */
    RollingBatch(LlamaModel model, BatchPlan plan, int maxRows) {
        if (maxRows < 1) {
            throw new IllegalArgumentException("max batch size must be >= 1, got " + maxRows);
        }
        this.model = model;
        this.plan = plan;
        this.exitLayer = plan.exitLayer();
        this.maxRows = maxRows;
        this.manager = model.manager().newSubManager();
    }

    /** @return the rows decoding now */
    List<BatchRow> rows() {
        return rows;
    }

    /** @return whether a row can join now */
    boolean hasRoom() {
        return rows.size() < maxRows;
    }

    /** @return the bytes the cache holds now */
    long cacheBytes() {
        return cache == null ? 0 : KvCache.bytes(model.config(), cache.lanes(), cache.capacity(), cache.layers(), cache.type());
    }

    /**
     * The bytes the cache would hold after a row joins.
     *
     * @param row the row
     * @return bytes
     */
    long cacheBytesWith(BatchRow row) {
        int[] shape = shapeWith(row);
        return KvCache.bytes(model.config(), shape[0], shape[1], cacheLayers(), model.kvCacheType());
    }

    /**
     * The bytes a batch's cache holds for one row alone.
     *
     * @param model the model
     * @param exitLayer the batch's exit layer
     * @param speculative whether the batch decodes self-speculatively
     * @param row the row
     * @return bytes
     */
    static long cacheBytesAlone(LlamaModel model, int exitLayer, boolean speculative, BatchRow row) {
        return KvCache.bytes(model.config(), 1, slots(row, speculative), cacheLayers(model, exitLayer, speculative),
                model.kvCacheType());
    }

    /** A row's cache slots: every position it commits, plus the scratch slot of self-speculative padding. */
    private static int slots(BatchRow row, boolean speculative) {
        return row.positionsNeeded() + (speculative ? 1 : 0);
    }

    /** The layers a batch caches: all of them for self-speculation (verification runs [E, L)), else [0, E). */
    private static int cacheLayers(LlamaModel model, int exitLayer, boolean speculative) {
        return speculative ? model.numLayers() : exitLayer;
    }

    private boolean speculative() {
        return plan.speculative();
    }

    private int cacheLayers() {
        return cacheLayers(model, exitLayer, speculative());
    }

    /** Lanes grow by doubling up to the batch size; slots cover every row, plus one scratch slot for drafts. */
    private int[] shapeWith(BatchRow row) {
        int slots = slots(row, speculative());
        if (cache == null) {
            return new int[] {1, slots};
        }
        int lanes = rows.size() < cache.lanes() ? cache.lanes() : Math.min(maxRows, 2 * cache.lanes());
        return new int[] {lanes, Math.max(cache.capacity(), slots)};
    }

    /**
     * Prefills a row in the next free lane and adds it to the batch unless its first token already
     * ends it. A failure ends only this row.
     *
     * @param row the row
     */
    void join(BatchRow row) {
        if (!hasRoom()) {
            throw new IllegalStateException("the batch is full (" + maxRows + " rows)");
        }
        int lane = rows.size();
        int[] shape = shapeWith(row);
        try {
            if (cache == null) {
                cache = new KvCache(manager, model.config(), shape[0], shape[1], cacheLayers(), model.kvCacheType());
            } else {
                cache.grow(shape[0], shape[1]);
            }
            int p = row.prompt.length;
            int first;
            TokenLogprob firstLogprob;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray ids = manager.create(row.prompt).reshape(1, p); // [1, seq]
                NDArray hidden = model.forwardLayers(model.embed(ids), 0, cacheLayers(), cache,
                        RowPositions.aligned(lane, 1, 0, p), ForwardPath.FUSED); // [1, seq, hidden]
                NDArray last = p == 1 ? hidden : hidden.get(new NDIndex().addAllDim().addSliceDim(p - 1, p)); // [1, 1, hidden]
                NDArray logits = model.exitHead(last, ForwardPath.FUSED); // [1, 1, vocab]
                FiniteCheck.requireFinite(logits, "exit layer " + cacheLayers() + ", position " + (p - 1));
                cache.commit(lane, p);
                first = pick(logits, List.of(row))[0];
                if (row.logprobs().prompt()) {
                    row.promptLogprobs(promptLogprobs(hidden, row));
                }
                if (row.forkSource()) {
                    row.prefillLogits(logits.toFloatArray()); // [vocab]: the choices forked from it draw from these
                }
                firstLogprob = logprob(logits, 0, first, row);
            }
            row.acceptFirst(first, firstLogprob);
        } catch (RuntimeException e) {
            row.fail(e);
        }
        admit(row);
    }

    /**
     * Joins a row whose prompt another row of this batch has just read (another choice of the same
     * request): the prompt's cache entries are copied from that row's lane instead of computed again,
     * and the row draws its own first token from the same logits. Nothing happens, and false is returned,
     * unless the source is here, has not stepped since it joined, and the prompts are equal.
     *
     * @param row the row
     * @param source the row that read the prompt ({@link BatchRow#shareItsPrompt})
     * @return whether the row joined
     */
    boolean joinFork(BatchRow row, BatchRow source) {
        int sourceLane = rows.indexOf(source);
        float[] logits = source.prefillLogits(); // [vocab]
        if (!hasRoom() || sourceLane < 0 || logits == null || cache.length(sourceLane) != source.prompt.length
                || !java.util.Arrays.equals(row.prompt, source.prompt)) {
            return false;
        }
        int[] shape = shapeWith(row);
        try {
            cache.grow(shape[0], shape[1]);
            cache.copyLane(sourceLane, rows.size());
            int first = row.picksOnDevice() ? Sampler.argmax(logits) : row.sampler.next(row.penalties.apply(logits.clone()));
            if (row.logprobs().prompt()) {
                row.promptLogprobs(source.promptLogprobs());
            }
            row.acceptFirst(first, row.logprobs().enabled() ? TokenLogprob.of(logits, first, row.logprobs().top()) : null);
        } catch (RuntimeException e) {
            row.fail(e);
        }
        admit(row);
        return true;
    }

    /** Adds a joined row to the batch unless its first token already ended it. */
    private void admit(BatchRow row) {
        if (row.finished()) {
            row.markEnd();
            if (rows.isEmpty()) {
                release();
            }
        } else {
            rows.add(row);
        }
    }

    /**
     * One step for every row: a token each (autoregressive) or a draft-verify-accept round each
     * (self-speculative). Rows that finish leave the batch. An error of the engine ends every row.
     *
     * @return the rows that left
     */
    List<BatchRow> step() {
        if (rows.isEmpty()) {
            return List.of();
        }
        for (BatchRow row : rows) {
            row.prefillLogits(null); // a row that stepped can no longer be forked from
        }
        try {
            if (speculative()) {
                new SpeculativeRound(model, exitLayer, plan.drafter(), manager, cache).run(rows);
            } else {
                decodeOne();
            }
        } catch (RuntimeException e) {
            for (BatchRow row : rows) {
                row.fail(e);
            }
        }
        return removeFinished();
    }

    /** Never yields: the pipeline decodes its row to the end. */
    static final BooleanSupplier NEVER = () -> false;

    /**
     * Decodes the batch's only row as a two-thread {@link SpeculativePipeline} (the drafter runs up to
     * the row's maximum draft length ahead of verification), to its end or until
     * {@code yieldNow} says so at a verification boundary; a yielded row stays in the batch, ready for
     * {@link #step} rounds (or another pipeline) with the same tokens.
     *
     * @param yieldNow asked after every verification; {@link #NEVER} to decode to the end
     * @return the rows that left (the row, once it finished; none when it yielded)
     */
    List<BatchRow> pipeline(BooleanSupplier yieldNow) {
        if (rows.size() != 1 || !speculative()) {
            throw new IllegalStateException("a pipeline decodes one self-speculative row, the batch has " + rows.size());
        }
        try {
            new SpeculativePipeline(model, exitLayer, plan.drafter(), manager, cache, rows.get(0).draftLength.max())
                    .run(rows.get(0), yieldNow);
        } catch (RuntimeException e) {
            rows.get(0).fail(e);
        }
        return removeFinished();
    }

    private void decodeOne() {
        int k = rows.size();
        int[] tokens = new int[k];
        int[] starts = new int[k];
        for (int r = 0; r < k; r++) {
            BatchRow row = rows.get(r);
            row.beginStep();
            tokens[r] = row.token;
            starts[r] = cache.length(r);
        }
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray input = manager.create(tokens).reshape(k, 1); // [rows, 1]
            NDArray hidden = model.forwardLayers(model.embed(input), 0, exitLayer, cache,
                    RowPositions.perRow(0, starts, 1), ForwardPath.FUSED); // [rows, 1, hidden]
            NDArray logits = model.exitHead(hidden, ForwardPath.FUSED); // [rows, 1, vocab]
            boolean[] finite = FiniteCheck.finitePositions(logits); // [rows]
            int[] next = pick(logits, rows);
            for (int r = 0; r < k; r++) {
                BatchRow row = rows.get(r);
                if (!finite[r]) {
                    row.fail(FiniteCheck.failure("exit layer " + exitLayer + ", position " + starts[r]));
                    continue;
                }
                cache.commit(r, starts[r] + 1);
                row.acceptStep(new int[] {next[r]}, row.logprobs().enabled()
                        ? new TokenLogprob[] {logprob(logits, r, next[r], row)} : null);
            }
        }
    }

    /**
     * Chooses each row's next token from its logits: on the device for greedy rows without a
     * penalty (one copy of the ids for the whole batch), else on the host from the row's copied,
     * penalised logits with the row's own sampler.
     *
     * @param logits [rows, 1, vocab]
     * @param batchRows the rows, in order
     * @return one token per row
     */
    static int[] pick(NDArray logits, List<BatchRow> batchRows) {
        int k = batchRows.size();
        int[] out = new int[k];
        long[] onDevice = null;
        for (int r = 0; r < k; r++) {
            BatchRow row = batchRows.get(r);
            if (row.picksOnDevice()) {
                if (onDevice == null) {
                    onDevice = logits.argMax(2).toLongArray(); // [rows, 1]; ties go to the lowest id
                }
                out[r] = (int) onDevice[r];
            } else {
                float[] values = k == 1 ? logits.toFloatArray() : logits.get(r).toFloatArray(); // [vocab]
                out[r] = row.sampler.next(row.penalties.apply(values));
            }
        }
        return out;
    }

    /**
     * A row's token log-probability from its logits, or null when the row reports none.
     *
     * @param logits [rows, 1, vocab]
     */
    private static TokenLogprob logprob(NDArray logits, int r, int token, BatchRow row) {
        if (!row.logprobs().enabled()) {
            return null;
        }
        float[] values = logits.getShape().get(0) == 1 ? logits.toFloatArray() : logits.get(r).toFloatArray(); // [vocab]
        return TokenLogprob.of(values, token, row.logprobs().top());
    }

    /** Each prompt token's log-probability after the first, from the exit head over the prompt, in slices. */
    private List<TokenLogprob> promptLogprobs(NDArray hidden, BatchRow row) {
        int p = row.prompt.length; // hidden: [1, p, hidden]
        List<TokenLogprob> out = new ArrayList<>(p - 1);
        for (int from = 0; from < p - 1; from += PROMPT_SLICE) {
            int to = Math.min(p - 1, from + PROMPT_SLICE);
            NDArray logits = model.exitHead(hidden.get(new NDIndex().addAllDim().addSliceDim(from, to)), // [1, to-from, vocab]
                    ForwardPath.FUSED);
            float[] flat = logits.toFloatArray();
            int vocab = flat.length / (to - from);
            for (int i = from; i < to; i++) {
                float[] row1 = java.util.Arrays.copyOfRange(flat, (i - from) * vocab, (i - from + 1) * vocab); // [vocab]
                out.add(TokenLogprob.of(row1, row.prompt[i + 1], row.logprobs().top()));
            }
            logits.close();
        }
        return out;
    }

    private List<BatchRow> removeFinished() {
        List<BatchRow> left = new ArrayList<>();
        for (int r = rows.size() - 1; r >= 0; r--) {
            BatchRow row = rows.get(r);
            if (!row.finished()) {
                continue;
            }
            row.markEnd();
            left.add(row);
            int last = rows.size() - 1;
            if (r != last) {
                cache.moveLane(last, r); // the last row takes the free lane: rows stay in lanes 0..n-1
                rows.set(r, rows.get(last));
            }
            rows.remove(last);
        }
        if (rows.isEmpty()) {
            release();
        }
        return left;
    }

    private void release() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }

    @Override
    public void close() {
        release();
        manager.close();
    }
}
