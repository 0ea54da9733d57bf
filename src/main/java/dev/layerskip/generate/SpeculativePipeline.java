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
 * included): a drafting thread owns
 * layers [0, E) and the draft head, the calling thread owns layers [E, L) and the full head, and the
 * two run at the same time on two cores.
 *
 * <p>The drafter feeds a token through [0, E) at position p, keeps x_E (the exit query cache), takes
 * its greedy draft g_p, feeds g_p at p+1, and so on, at most {@code depth} positions ahead of the
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
    private final int exitLayer;
    private final DraftScorer drafter;
    private final NDManager manager;
    private final KvCache cache;
    private final int depth;

    /**
     * @param model the model
     * @param exitLayer E in 1..L-1
     * @param drafter the draft head; its greedy pick runs on the device
     * @param manager the generation's manager (it owns the cache)
     * @param cache a one-lane cache over every layer
     * @param depth how many positions the drafter may run ahead of verification, at least 1
     */
    SpeculativePipeline(LlamaModel model, int exitLayer, DraftScorer drafter, NDManager manager, KvCache cache,
            int depth) {
        if (depth < 1) {
            throw new IllegalArgumentException("pipeline depth must be >= 1, got " + depth);
        }
        this.model = model;
        this.exitLayer = exitLayer;
        this.drafter = drafter;
        this.manager = manager;
        this.cache = cache;
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
        Future<?> drafting = DRAFTERS.submit(() -> draftLoop(handoff));
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
        long t0 = System.nanoTime();
        long[] targets; // f at each item's position: the full model's next token
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDList states = new NDList(k);
            for (DraftedPosition item : items) {
                states.add(item.exitState());
            }
            NDArray kept = k == 1 ? items.get(0).exitState() : NDArrays.concat(states, 1); // [1, k, hidden]
            kept.attach(verifying); // the verifier's activations stay out of the drafter's manager
            NDArray logits = model.exitHead(model.forwardLayers(kept, exitLayer, model.numLayers(), cache,
                    RowPositions.aligned(0, 1, base, k))); // [1, k, vocab]
            boolean[] finite = FiniteCheck.finitePositions(logits); // [k]: every emitted token comes from these
            for (int i = 0; i < k; i++) {
                if (!finite[i]) {
                    throw FiniteCheck.failure("exit layer " + model.numLayers() + ", position " + (base + i));
                }
            }
            targets = row.picksOnDevice() ? logits.argMax(2).toLongArray() // [1, k]: only ids are copied
                    : penalisedTargets(row, logits.toFloatArray(), items); // [k, vocab] copied, penalised on the host
        } finally {
            for (DraftedPosition item : items) {
                item.exitState().close();
            }
        }
        int[] drafts = new int[k];
        int[] full = new int[k];
        long draftNanos = 0;
        for (int i = 0; i < k; i++) {
            drafts[i] = items.get(i).draft();
            full[i] = (int) targets[i];
            draftNanos += items.get(i).nanos();
        }
        // Accept rule: position i emits f_i; the next position stays valid while the draft it was fed, g_i, equals f_i.
        int[] emitted = SpeculativeAcceptance.decideGreedy(Arrays.copyOf(drafts, k - 1), full); // [agreeing drafts..., f]
        int n = emitted.length;
        boolean rejected = full[n - 1] != drafts[n - 1]; // the drafter fed a wrong token after the last emitted one
        int newBase = base + n;
        if (rejected) {
            handoff.restart(newBase, full[n - 1]);
        }
        cache.commit(0, newBase);
        row.cacheProbe.accept(newBase);
        int agreed = rejected ? n - 1 : n; // each emitted position checked one draft
        row.stats.record(n, agreed, draftNanos, System.nanoTime() - t0);
        row.listener.onDraft(Arrays.copyOf(drafts, n), agreed);
        row.acceptStep(emitted);
        if (!row.finished()) {
            handoff.allowUpTo(newBase + Math.min(depth, row.out.remaining()));
        }
        return newBase;
    }

    /**
     * The full model's greedy tokens under repetition control, position by position up to the first
     * that differs from its draft (later positions are void; they get -1). Position i's context is the
     * accepted text and the drafts before it, as in the rounds of {@link SpeculativeRound}; the drafts
     * themselves are picked without penalties (they are only proposals).
     */
    private static long[] penalisedTargets(BatchRow row, float[] flat, List<DraftedPosition> items) {
        int k = items.size();
        int vocab = flat.length / k;
        int context = row.penalties.length(); // the accepted text, through the token fed at the base
        long[] targets = new long[k];
        Arrays.fill(targets, -1);
        for (int i = 0; i < k; i++) {
            float[] logits = Arrays.copyOfRange(flat, i * vocab, (i + 1) * vocab); // [vocab] at base + i
            targets[i] = Sampler.argmax(row.penalties.apply(logits));
            if (targets[i] != items.get(i).draft()) {
                break;
            }
            row.penalties.push(items.get(i).draft()); // the next position follows this draft
        }
        row.penalties.truncate(context);
        return targets;
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

    /** The drafting thread: layers [0, E) and the draft head, position after position. */
    private void draftLoop(DraftHandoff handoff) {
        InferenceMode.enterOnThisThread();
        IntraOpThreads.setForThisThread(model.config()); // a pool thread of this class: kept between generations
        try (NDManager drafting = manager.newSubManager()) {
            DraftHandoff.Work work = null;
            int draft = 0;
            while ((work = handoff.next(work, draft)) != null) {
                long t0 = System.nanoTime();
                NDArray exitState; // [1, 1, hidden]: x_E at this position, handed to the verifier
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray x = model.embed(drafting.create(new int[] {work.token()}).reshape(1, 1)); // [1, 1, hidden]
                    exitState = model.forwardLayers(x, 0, exitLayer, cache,
                            RowPositions.aligned(0, 1, work.position(), 1)); // [1, 1, hidden]
                    draft = drafter.greedyRows(drafter.logits(exitState))[0]; // one id copied
                    NDScope.unregister(exitState);
                }
                handoff.offer(work, new DraftedPosition(exitState, draft, System.nanoTime() - t0));
            }
        } catch (RuntimeException e) {
            handoff.fail(e);
        }
    }
}
