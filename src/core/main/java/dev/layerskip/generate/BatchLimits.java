package dev.layerskip.generate;

/**
 * How much a {@link BatchScheduler} may run at once.
 *
 * <p>Compare LMI's {@code max_rolling_batch_size}: {@code maxBatchSize} is the most sequences that
 * share a step. A request joins the batch only when its KV cache fits the budget next to the running
 * ones' (the cache of a batch is [lanes, kvHeads, slots, headDim] per layer, slots covering its longest
 * request); otherwise it waits in a queue of at most {@code maxQueued}, and beyond that is refused.
 *
 * @param maxBatchSize the most sequences decoded together, 1..1024
 * @param kvCacheBudgetBytes the most bytes all batches' KV caches may hold, &gt; 0
 * @param maxQueued the most requests waiting to join, 0..65536
 */
public record BatchLimits(int maxBatchSize, long kvCacheBudgetBytes, int maxQueued) {

    /**
     * The default batch size of servers ({@code serve}, the Criteria and serving.properties argument
     * {@code max_batch_size}): 8. On the demo (2 cores, {@code bench-serve}) 8 clients get about 2.5x the
     * tokens/s of requests decoded alone, and 16 clients gain no more than 8 (the step of a small model costs
     * about the same for 1 and 4 rows per batch thread); on the Llama-3.2-1B shape a batch reads the weights
     * once for all its rows. A lone request loses nothing: it decodes as it would alone (the two-thread pipeline
     * when its plan is pipelined). The KV-cache budget, not this number, bounds the memory of long requests.
     */
    public static final int DEFAULT_MAX_BATCH_SIZE = 8;

    /** The default KV-cache budget: 2 GiB. */
    public static final long DEFAULT_KV_CACHE_BUDGET_BYTES = 2L << 30;

    /** The default queue bound. */
    public static final int DEFAULT_MAX_QUEUED = 256;

    /** Validates the fields. */
    public BatchLimits {
        if (maxBatchSize < 1 || maxBatchSize > 1024) {
            throw new IllegalArgumentException("max_batch_size must be in 1..1024, got " + maxBatchSize);
        }
        if (kvCacheBudgetBytes < 1) {
            throw new IllegalArgumentException("kv_cache_budget_mb must be > 0, got " + kvCacheBudgetBytes + " bytes");
        }
        if (maxQueued < 0 || maxQueued > 65536) {
            throw new IllegalArgumentException("max_queued must be in 0..65536, got " + maxQueued);
        }
    }

    /**
     * Limits with the default budget and queue.
     *
     * @param maxBatchSize the most sequences decoded together
     * @return the limits
     */
    public static BatchLimits of(int maxBatchSize) {
        return new BatchLimits(maxBatchSize, DEFAULT_KV_CACHE_BUDGET_BYTES, DEFAULT_MAX_QUEUED);
    }
}
