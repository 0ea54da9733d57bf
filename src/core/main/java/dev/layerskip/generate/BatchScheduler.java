package dev.layerskip.generate;

import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.IntraOpThreads;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.tokenizer.TextTokenizer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.BooleanSupplier;

/**
 * Rolling (continuous) batching: concurrent requests share every forward pass. One scheduler thread
 * steps every {@link RollingBatch}; a request joins its batch at a step boundary (its prompt is
 * prefilled as its own pass) and leaves when it finishes, is cancelled or fails. Requests of
 * different strategies or exit layers run as separate batches, stepped in turn.
 *
 * <p>{@link #generate} blocks its caller like {@link Generator#generate}, and the caller's thread
 * receives the listener's calls: a slow consumer (a client reading a stream) never holds the batch up.
 * Each request's tokens are exactly those of the request run alone (greedy ids; seeded sampling draws
 * from its own random stream), up to floating-point reduction order inside shared passes.
 *
 * <p>Admission follows {@link BatchLimits}: at most {@code maxBatchSize} rows in all batches, KV caches
 * within the budget, FIFO; a full queue or a request whose cache alone exceeds the budget is refused
 * with {@link GenerationRejectedException}.
 *
 * <p>One client gets the fastest single-sequence plan: while the only running request is a greedy
 * one of a pipelined {@link SelfSpeculativeGenerator} and nothing waits (here or, in
 * {@link BatchSchedulers}, in the other schedulers), this thread decodes it as the two-thread
 * {@link SpeculativePipeline}, verifying itself. As soon as another request waits, the pipeline yields at
 * its next verification boundary and the request continues in batched rounds with the newcomers; once it
 * is alone again it goes back to the pipeline. The tokens are the same either way.
 */
public final class BatchScheduler implements AutoCloseable {

    private final LlamaModel model;
    private final TextTokenizer tokenizer;
    private final BatchLimits limits;
    private final Object lock = new Object();
    private final ArrayDeque<BatchTicket> pending = new ArrayDeque<>(); // guarded by lock
    private final Map<BatchPlan.Key, RollingBatch> batches = new LinkedHashMap<>(); // scheduler thread only
    private final Map<BatchRow, BatchTicket> tickets = new IdentityHashMap<>(); // scheduler thread only
    private final Thread thread;
    private volatile boolean closed;
    private volatile int running;
    private volatile int peakRunning;
    private final java.util.concurrent.atomic.AtomicInteger submitting = new java.util.concurrent.atomic.AtomicInteger();
    private final BooleanSupplier othersBusy;
    private volatile int pipelineRuns;
    private volatile int forkedRows;
    private volatile int pipelineYields;

    /**
     * Starts the scheduler thread.
     *
     * @param model the model
     * @param tokenizer decodes streamed text, or null
     * @param limits batch size, KV budget and queue bound
     */
    public BatchScheduler(LlamaModel model, TextTokenizer tokenizer, BatchLimits limits) {
        this(model, tokenizer, limits, () -> false);
    }

    /**
     * Starts the scheduler thread, one of several sharing the cores.
     *
     * @param model the model
     * @param tokenizer decodes streamed text, or null
     * @param limits batch size, KV budget and queue bound
     * @param othersBusy whether requests run or wait elsewhere (then a lone request does not take a second core
     *     for the pipeline)
     */
    BatchScheduler(LlamaModel model, TextTokenizer tokenizer, BatchLimits limits, BooleanSupplier othersBusy) {
        if (model == null || limits == null || othersBusy == null) {
            throw new IllegalArgumentException("model, limits and othersBusy are required");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.limits = limits;
        this.othersBusy = othersBusy;
        thread = new Thread(this::loop, "layerskip-batch");
        thread.setDaemon(true);
        thread.start();
    }

    /** @return the limits */
    public BatchLimits limits() {
        return limits;
    }

    /** @return how many sequences are decoding now */
    public int running() {
        return running;
    }

    /** @return the most sequences that have shared a step since the scheduler started */
    public int peakRunning() {
        return peakRunning;
    }

    /** @return how many requests are inside {@link #generate} (waiting, decoding or being delivered) */
    public int submitting() {
        return submitting.get();
    }

    /** @return how many rows joined by copying another choice's prompt instead of reading it (tests) */
    int forkedRows() {
        return forkedRows;
    }

    /** @return how many times a lone request started decoding as the two-thread pipeline (tests) */
    int pipelineRuns() {
        return pipelineRuns;
    }

    /** @return how many of those pipelines yielded to waiting requests before their row finished (tests) */
    int pipelineYields() {
        return pipelineYields;
    }

    /** @return how many requests wait to join */
    public int queued() {
        synchronized (lock) {
            return pending.size();
        }
    }

    /**
     * Generates in a shared batch; blocks until the request is done.
     *
     * @param generator the strategy (its exit layer and draft policy; the batch runs it)
     * @param promptIds the prompt ids
     * @param config what to generate
     * @param listener receives each token on the calling thread
     * @return the result, as {@link Generator#generate} would return it
     * @throws GenerationRejectedException when the queue is full or the request's cache alone exceeds the budget
     * @throws IllegalArgumentException if the prompt does not fit the model
     */
    public GenerationResult generate(Generator generator, int[] promptIds, GenerationConfig config, TokenListener listener) {
        return generateAll(generator, promptIds, List.of(config), List.of(listener)).get(0);
    }

    /**
     * Generates several continuations of one prompt (a request's choices) as rows of a shared batch; the
     * prompt is read once when they join together, the other rows copy its cache entries and draw their own
     * first tokens. Blocks until all are done; every listener is called on the calling thread.
     *
     * @param generator the strategy
     * @param promptIds the prompt ids
     * @param configs what to generate, one per continuation (e.g. different seeds)
     * @param listeners one per continuation
     * @return the results, in order
     * @throws GenerationRejectedException when the queue has no room for them all or one's cache exceeds the budget
     * @throws IllegalArgumentException if the prompt does not fit the model
     */
    public List<GenerationResult> generateAll(Generator generator, int[] promptIds, List<GenerationConfig> configs,
            List<TokenListener> listeners) {
        if (configs.isEmpty() || configs.size() != listeners.size()) {
            throw new IllegalArgumentException("need one listener per config, got " + configs.size() + " and "
                    + listeners.size());
        }
        submitting.incrementAndGet();
        try {
            return submit(generator, promptIds, configs, listeners);
        } finally {
            submitting.decrementAndGet();
        }
    }

    private List<GenerationResult> submit(Generator generator, int[] promptIds, List<GenerationConfig> configs,
            List<TokenListener> listeners) {
        BlockingQueue<Runnable> events = new LinkedBlockingQueue<>();
        List<BatchTicket> group = new ArrayList<>();
        for (int i = 0; i < configs.size(); i++) {
            BatchTicket ticket = new BatchTicket(generator, listeners.get(i), events, group.isEmpty() ? null : group.get(0));
            ticket.row = new BatchRow(promptIds, configs.get(i), tokenizer, ticket, model.config(),
                    generator.plan().draftLength(), length -> { });
            long alone = RollingBatch.cacheBytesAlone(model, generator.exitLayer(), generator.plan().speculative(), ticket.row);
            if (alone > limits.kvCacheBudgetBytes()) {
                throw new GenerationRejectedException("this request needs " + mib(alone) + " MiB of KV cache (prompt "
                        + promptIds.length + " + up to " + ticket.row.limit + " new tokens) but kv_cache_budget_mb is "
                        + mib(limits.kvCacheBudgetBytes()));
            }
            group.add(ticket);
        }
        if (group.size() > 1) {
            group.get(0).row.shareItsPrompt();
        }
        enqueue(group);
        BatchTicket.replay(group, events);
        List<GenerationResult> results = new ArrayList<>();
        for (BatchTicket t : group) {
            results.add(t.row.result());
        }
        return results;
    }

    private void enqueue(List<BatchTicket> group) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the batch scheduler is closed");
            }
            if (pending.size() + group.size() > limits.maxQueued()) {
                throw new GenerationRejectedException("the batch queue is full: " + pending.size()
                        + " requests wait (max_queued " + limits.maxQueued() + ")"
                        + (group.size() > 1 ? " and this request brings " + group.size() : ""));
            }
            pending.addAll(group);
            lock.notifyAll();
        }
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    private void loop() {
        InferenceMode.enterOnThisThread();
        try (IntraOpThreads.Scope threads = IntraOpThreads.use(model)) {
            while (awaitWork()) {
                BatchTicket next;
                while ((next = nextAdmitted()) != null) {
                    RollingBatch batch = batchFor(next.generator);
                    if (next.forkOf != null && batch.joinFork(next.row, next.forkOf.row)) {
                        forkedRows++; // only this thread writes
                    } else {
                        batch.join(next.row);
                    }
                    if (next.row.finished()) {
                        finish(next);
                    } else {
                        tickets.put(next.row, next);
                    }
                }
                peakRunning = Math.max(peakRunning, tickets.size());
                running = tickets.size();
                BatchTicket alone = pipelinable();
                if (alone != null) {
                    pipeline(alone);
                } else {
                    for (RollingBatch batch : batches.values()) {
                        for (BatchRow left : batch.step()) {
                            finish(tickets.remove(left));
                        }
                    }
                }
                running = tickets.size();
            }
        } finally {
            for (RollingBatch batch : batches.values()) {
                batch.close();
            }
        }
    }

    /** Waits until a request runs or waits; false once closed and drained (closing cancels everything). */
    private boolean awaitWork() {
        synchronized (lock) {
            while (pending.isEmpty() && tickets.isEmpty() && !closed) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    closed = true;
                    Thread.currentThread().interrupt();
                }
            }
            if (closed) {
                tickets.values().forEach(t -> t.cancel = true);
                pending.forEach(t -> t.cancel = true);
            }
            return !(closed && tickets.isEmpty() && pending.isEmpty());
        }
    }

    /** The first waiting request if it may join now: FIFO, within the batch size and the KV budget. */
    private BatchTicket nextAdmitted() {
        synchronized (lock) {
            BatchTicket next = pending.peek();
            if (next == null || tickets.size() >= limits.maxBatchSize()) {
                return null;
            }
            RollingBatch batch = batchFor(next.generator);
            long bytes = batch.cacheBytesWith(next.row);
            for (RollingBatch other : batches.values()) {
                bytes += other == batch ? 0 : other.cacheBytes();
            }
            if (!batch.hasRoom() || bytes > limits.kvCacheBudgetBytes()) {
                return null; // wait for rows to leave: alone, every admitted request fits the budget
            }
            return pending.poll();
        }
    }

    /**
     * The only running request, if it should decode as the pipeline now: a greedy request of a pipelined
     * generator, with no other request running or waiting here or elsewhere.
     */
    private BatchTicket pipelinable() {
        if (tickets.size() != 1) {
            return null;
        }
        BatchTicket only = tickets.values().iterator().next();
        boolean pipelined = only.generator.plan().pipelined();
        return pipelined && only.row.sampler.config().isGreedy() && !othersWaiting() ? only : null;
    }

    /** Decodes the lone request as the pipeline until it ends or another request waits (then it stays in its batch). */
    private void pipeline(BatchTicket alone) {
        pipelineRuns++; // only this thread writes
        List<BatchRow> left = batchFor(alone.generator).pipeline(this::othersWaiting);
        if (left.isEmpty()) {
            pipelineYields++;
        }
        for (BatchRow row : left) {
            finish(tickets.remove(row));
        }
    }

    /** @return whether a request waits to join, another scheduler has work, or the scheduler is closing */
    private boolean othersWaiting() {
        if (closed || othersBusy.getAsBoolean()) {
            return true;
        }
        synchronized (lock) {
            return !pending.isEmpty();
        }
    }

    private RollingBatch batchFor(Generator generator) {
        BatchPlan plan = generator.plan();
        return batches.computeIfAbsent(plan.batchKey(), k -> new RollingBatch(model, plan, limits.maxBatchSize()));
    }

    /** Releases a request that left the batches (already out of {@code tickets}): its caller sees it no longer running. */
    private void finish(BatchTicket t) {
        running = tickets.size();
        t.done();
    }

    /**
     * Stops the scheduler: running and queued requests are cancelled at their next token (their
     * callers get CANCELLED results), and the batches' caches are freed.
     */
    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
        try {
            thread.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
