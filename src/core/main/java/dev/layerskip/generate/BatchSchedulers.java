package dev.layerskip.generate;

import java.util.List;

import dev.layerskip.model.DeviceThreads;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.tokenizer.TextTokenizer;

/**
 * One {@link BatchScheduler} per core for models that decode on one PyTorch thread, one for the
 * others and on a GPU ({@link DeviceThreads}): a small model's step is bound by per-call overhead on one core, so a second core serves a
 * second batch (measured on the 2-core CI machine: see docs/serving.md, "Batched serving"), while a large
 * model's step already uses every core. A request goes to the scheduler with the fewest sequences.
 * The batch size and the KV-cache budget are split evenly between the schedulers. A lone request
 * decodes as the two-thread pipeline (when its generator is pipelined) only while every other scheduler
 * is idle, so that two pipelines never compete for the cores.
 */
public final class BatchSchedulers implements AutoCloseable {

    private final BatchScheduler[] schedulers;

    /**
     * Starts the schedulers.
     *
     * @param model the model
     * @param tokenizer decodes streamed text, or null
     * @param limits the limits of all schedulers together
     */
    public BatchSchedulers(LlamaModel model, TextTokenizer tokenizer, BatchLimits limits) {
        int n = DeviceThreads.forModel(model, limits.maxBatchSize()).steppingThreads();
        schedulers = new BatchScheduler[n];
        for (int i = 0; i < n; i++) {
            int size = limits.maxBatchSize() / n + (i < limits.maxBatchSize() % n ? 1 : 0);
            int self = i;
            schedulers[i] = new BatchScheduler(model, tokenizer,
                    new BatchLimits(size, Math.max(1, limits.kvCacheBudgetBytes() / n), limits.maxQueued()),
                    () -> busyBesides(self));
        }
    }

    /** Whether a scheduler other than the given one has a request inside {@link BatchScheduler#generate}. */
    private boolean busyBesides(int index) {
        for (int i = 0; i < schedulers.length; i++) {
            BatchScheduler s = schedulers[i];
            if (i != index && s != null && s.submitting() > 0) {
                return true;
            }
        }
        return false;
    }

    /** @return how many schedulers (stepping threads) run */
    public int size() {
        return schedulers.length;
    }

    /** @return how many sequences are decoding now, in all schedulers */
    public int running() {
        int sum = 0;
        for (BatchScheduler s : schedulers) {
            sum += s.running();
        }
        return sum;
    }

    /** @return how many times lone requests started decoding as the pipeline, in all schedulers (tests) */
    int pipelineRuns() {
        int sum = 0;
        for (BatchScheduler s : schedulers) {
            sum += s.pipelineRuns();
        }
        return sum;
    }

    /** @return how many of those pipelines yielded to requests waiting here or elsewhere (tests) */
    int pipelineYields() {
        int sum = 0;
        for (BatchScheduler s : schedulers) {
            sum += s.pipelineYields();
        }
        return sum;
    }

    /**
     * Generates in the least busy scheduler's batches; see {@link BatchScheduler#generate}.
     *
     * @param generator the strategy
     * @param promptIds the prompt ids
     * @param config what to generate
     * @param listener receives each token on the calling thread
     * @return the result
     */
    public GenerationResult generate(Generator generator, int[] promptIds, GenerationConfig config, TokenListener listener) {
        return leastBusy().generate(generator, promptIds, config, listener);
    }

    /**
     * Generates a request's choices together in the least busy scheduler's batches; see
     * {@link BatchScheduler#generateAll}.
     *
     * @param generator the strategy
     * @param promptIds the prompt ids
     * @param configs one per choice
     * @param listeners one per choice
     * @return the results, in order
     */
    public List<GenerationResult> generateAll(Generator generator, int[] promptIds, List<GenerationConfig> configs,
            List<TokenListener> listeners) {
        return leastBusy().generateAll(generator, promptIds, configs, listeners);
    }

    private BatchScheduler leastBusy() {
        BatchScheduler least = schedulers[0];
        int load = Integer.MAX_VALUE;
        for (BatchScheduler s : schedulers) {
            int l = s.submitting();
            if (l < load) {
                load = l;
                least = s;
            }
        }
        return least;
    }

    @Override
    public void close() {
        for (BatchScheduler s : schedulers) {
            s.close();
        }
    }
}
