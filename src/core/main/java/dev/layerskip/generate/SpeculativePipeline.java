package dev.layerskip.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.IntraOpThreads;
import dev.layerskip.model.KvCache;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.RowPositions;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Self-speculative decoding (<a href="https://arxiv.org/abs/2404.16710">Elhoushi et al., 2024</a>,
 * §4.2) as a two-stage pipeline over the layers, for one greedy sequence (repetition control
 * included): a drafting thread owns layers [0, E) and the draft head ({@link Drafter}), the calling
 * thread owns layers [E, L) and the full head ({@link Verifier}), and the two run at the same time on
 * two cores. Drafting, verification and the accept rule are those of the rounds; only the schedule
 * differs.
 *
 * <p>The drafter feeds a token through [0, E) at position p, keeps x_E (the exit query cache), takes
 * its greedy draft g_p (penalised as a round's draft), feeds g_p at p+1, and so on, at most {@code depth} positions ahead of the
 * first unverified one. The verifier runs [E, L) once over every kept x_E that is ready and takes the
 * full model's token f_p at each of those positions. Accept rule (greedy, by
 * {@link SpeculativeAcceptance#decideGreedy}): f_p is emitted at every position whose input was the
 * full model's token; while f_p = g_p the next position was fed the right token and stays valid; at
 * the first f_p ≠ g_p every later position is void, and the drafter restarts at p+1 from f_p (a new
 * epoch; items of the old one are dropped).
 *
 * <p>Rollback is still a pointer move: the two threads write disjoint layers of one cache, each by
 * position, and a void position is written again before any pass reads it. The output is token for
 * token that of the rounds of {@link SpeculativeRound} and of autoregressive decoding; only the
 * schedule differs. It pays where one core is bound by per-call overhead (small models), so that a
 * draft step costs about E/L of a full step and the verification hides behind the drafting.
 */
final class SpeculativePipeline {

    private static final AtomicInteger DRAFTER_COUNT = new AtomicInteger();

    /** Drafting threads, kept between generations (a new thread's first steps are slow), daemons. */
    private static final ExecutorService DRAFTERS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "layerskip-drafter-" + DRAFTER_COUNT.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });

    /**
     * Runs a task on one of the pipeline's drafting threads (calibration times passes there).
     *
     * @param task the task
     * @param <T> its result
     * @return its future
     */
    static <T> Future<T> submitToDrafter(java.util.concurrent.Callable<T> task) {
        return DRAFTERS.submit(task);
    }

    private final LlamaModel model;
    private final NDManager manager;
    private final KvCache cache;
    private final Drafter drafter;
    private final Verifier verifier;
    private final int depth;

    /**
     * @param model the model
     * @param exitLayer E in 1..L-1
     * @param scorer how drafts are scored
     * @param manager the generation's manager (it owns the cache)
     * @param cache a one-lane cache over every layer
     * @param depth how many positions the drafter may run ahead of verification, at least 1
     */
    SpeculativePipeline(LlamaModel model, int exitLayer, DraftScorer scorer, NDManager manager, KvCache cache,
            int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("pipeline depth must be >= 1, got " + depth);
        }
        this.model = model;
        this.manager = manager;
        this.cache = cache;
        this.drafter = new Drafter(model, exitLayer, scorer, cache);
        this.verifier = new Verifier(model, exitLayer, cache);
        this.depth = depth;
    }

    /**
     * Decodes lane 0's row until it finishes, is cancelled or fails, or {@code yieldNow} says so after a
     * verification. Listener calls happen on the calling thread, which verifies.
     *
     * <p>A yielded row is where a rejection leaves it: the cache committed to the verified length (what
     * the drafter wrote beyond it is void and written again before any pass reads it), {@code row.token}
     * the token fed next, the drafter stopped and its unverified positions freed. Rounds
     * ({@link SpeculativeRound}) or another pipeline go on from there with the same tokens.
     *
     * @param row a greedy row, joined (its first token taken), not finished
     * @param yieldNow asked after every verification: true hands the row back unfinished
     */
    void run(BatchRow row, BooleanSupplier yieldNow) {
        int base = cache.length(0); // the first position not verified yet; row.token is fed there
        DraftHandoff handoff = new DraftHandoff(base, row.token, base + Math.min(depth, row.out.remaining()));
        RepetitionProcessor context = row.penalties.active() ? row.penalties.copy() : null; // the drafter's own
        Future<?> drafting = DRAFTERS.submit(() -> draftLoop(handoff, context, row.sampler));
        try (NDManager verifying = manager.newSubManager()) {
            while (!row.finished()) {
                List<DraftedPosition> items = handoff.awaitReady();
                if (items == null) {
                    break; // the drafter failed
                }
                base = verify(row, items, base, verifying, handoff);
                if (!row.finished() && yieldNow.getAsBoolean()) {
                    break; // a verification boundary: the row is consistent, the finally block stops the drafter
                }
            }
        } catch (RuntimeException e) {
            row.fail(e);
        } finally {
            handoff.stop();
            awaitEnd(drafting);
        }
        RuntimeException failure = handoff.failure();
        if (failure != null) {
            row.fail(failure);
        }
    }

    /** Verifies consecutive items from the base, emits the full model's tokens; returns the new base. */
    private int verify(BatchRow row, List<DraftedPosition> items, int base, NDManager verifying, DraftHandoff handoff) {
        int k = items.size();
        row.beginStep();
        int[] drafts = new int[k]; // g_i: the draft fed at position base+i+1
        long draftNanos = 0;
        for (int i = 0; i < k; i++) {
            drafts[i] = items.get(i).draft();
            draftNanos += items.get(i).nanos();
        }
        RoundTimer timer = RoundTimer.verifyingDraftsOf(draftNanos);
        int[] emitted; // [agreeing drafts..., f]
        TokenLogprob[] logprobs = null;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList states = new NDList(k);
            for (DraftedPosition item : items) {
                states.add(item.exitState());
            }
            NDArray kept = k == 1 ? items.get(0).exitState() : NDArrays.concat(states, 1); // [1, k, hidden]
            kept.attach(verifying); // the verifier's activations stay out of the drafter's manager
            Verification verification = verifier.verify(kept, RowPositions.aligned(0, 1, base, k));
            RuntimeException failure = verification.nonFinite(0, k, base);
            if (failure != null) {
                throw failure;
            }
            // Positions base..base+k-1 verify drafts 0..k-2; the last item's draft is checked only by the rejection test below.
            emitted = verification.emitted(0, row, row.penalties.length(), Arrays.copyOf(drafts, k - 1), new double[k - 1][]);
            logprobs = verification.logprobs(0, row, emitted);
        } finally {
            for (DraftedPosition item : items) {
                item.exitState().close();
            }
        }
        int n = emitted.length;
        boolean rejected = emitted[n - 1] != drafts[n - 1]; // the drafter fed a wrong token after the last emitted one
        if (rejected) {
            handoff.restart(base + n, emitted[n - 1]);
        }
        verifier.commit(row, 0, base, emitted, Arrays.copyOf(drafts, n), rejected ? n - 1 : n, timer, logprobs);
        if (!row.finished()) {
            handoff.allowUpTo(base + n + Math.min(depth, row.out.remaining()));
        }
        return base + n;
    }

    /** Waits for the stopped drafter to return (within one draft step); an interrupt is kept for the caller. */
    private static void awaitEnd(Future<?> drafting) {
        boolean interrupted = false;
        while (true) {
            try {
                drafting.get();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the drafter still writes the cache: it must end before the cache is freed
            } catch (ExecutionException e) {
                break; // draftLoop records its failures itself; anything else is an Error, rethrown by the pool thread
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The drafting thread: layers [0, E) and the draft head, position after position. Its drafts are
     * picked like a round's, penalised with their own context: the accepted text, then its earlier
     * drafts (a copy of the row's context, cut back where a new epoch restarts).
     */
    private void draftLoop(DraftHandoff handoff, RepetitionProcessor context, Sampler sampler) {
        InferenceMode.enterOnThisThread();
        IntraOpThreads.setForThisThread(model); // a pool thread of this class: kept between generations
        try (NDManager drafting = manager.newSubManager()) {
            DraftHandoff.Work work = null;
            int draft = 0;
            while ((work = handoff.next(work, draft)) != null) {
                long t0 = System.nanoTime();
                if (context != null) {
                    context.truncate(work.position()); // every token before this position is accepted or an earlier draft
                    context.push(work.token());
                }
                NDArray exitState; // [1, 1, hidden]: x_E at this position, handed to the verifier
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    exitState = drafter.feed(drafting, new int[] {work.token()},
                            RowPositions.aligned(0, 1, work.position(), 1)); // [1, 1, hidden]
                    draft = drafter.picker(exitState, 1).pick(0, context, sampler, false).token();
                    NDScope.unregister(exitState);
                }
                handoff.offer(work, new DraftedPosition(exitState, draft, System.nanoTime() - t0));
            }
        } catch (RuntimeException e) {
            handoff.fail(e);
        }
    }
}
