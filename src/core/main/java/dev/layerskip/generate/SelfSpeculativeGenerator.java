package dev.layerskip.generate;

import dev.layerskip.model.DeviceThreads;
import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.IntraOpThreads;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.tokenizer.TextTokenizer;

/**
 * LayerSkip's self-speculative decoding (<a href="https://arxiv.org/abs/2404.16710">Elhoushi et
 * al., 2024</a>, §4.2): the first E layers and the shared exit head draft tokens, the remaining
 * layers verify them all in one pass, and one KV cache serves both.
 *
 * <p>One round, starting from the last accepted token t at position s (not yet in the cache):
 * <ol>
 *   <li>Draft: feed t, then each draft, through layers [0, E) at positions s, s+1, ..., writing
 *       those layers' cache entries and keeping each position's x_E (the exit query cache).
 *   <li>Verify: the last draft goes through layers [0, E); then layers [E, L) run once over
 *       positions s..s+d from the kept x_E. No layer runs twice for a position.
 *   <li>Accept by {@link SpeculativeAcceptance}: the agreeing drafts plus one full-model token.
 *   <li>Roll the cache back to the accepted length: a pointer move.
 * </ol>
 * Greedy output is token-for-token that of the full model; sampling keeps its distribution. Both
 * hold with repetition control too: {@link RepetitionProcessor} penalises draft i and verification
 * row i with the same context, the tokens before their position.
 */
public final class SelfSpeculativeGenerator implements Generator {

    private final LlamaModel model;
    private final TextTokenizer tokenizer;
    private final int exitLayer;
    private final DraftLength draftLength;
    private final DraftScorer drafter;
    private final java.util.function.IntConsumer cacheProbe;
    private final boolean pipelined;

    /**
     * Creates the generator.
     *
     * @param model the model
     * @param tokenizer decodes streamed text, or null
     * @param exitLayer the draft exit E in 1..L-1
     * @param draftLength how many tokens each round drafts
     */
    public SelfSpeculativeGenerator(LlamaModel model, TextTokenizer tokenizer, int exitLayer, DraftLength draftLength) {
        this(model, tokenizer, exitLayer, draftLength, DraftScorer.full(model));
    }

    /**
     * Creates the generator with a draft head of its own (e.g. over a draft vocabulary).
     *
     * @param model the model
     * @param tokenizer decodes streamed text, or null
     * @param exitLayer the draft exit E in 1..L-1
     * @param draftLength how many tokens each round drafts
     * @param drafter how drafts are scored; verification always uses the full head
     */
    public SelfSpeculativeGenerator(LlamaModel model, TextTokenizer tokenizer, int exitLayer, DraftLength draftLength,
            DraftScorer drafter) {
        if (drafter == null) {
            throw new IllegalArgumentException("draft scorer must not be null");
        }
        if (exitLayer < 1 || exitLayer >= model.numLayers()) {
            throw new IllegalArgumentException("exit layer " + exitLayer
                    + " outside 1.." + (model.numLayers() - 1) + " for self-speculative decoding");
        }
        if (draftLength == null) {
            throw new IllegalArgumentException("draft length must not be null");
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.exitLayer = exitLayer;
        this.draftLength = draftLength;
        this.drafter = drafter;
        this.cacheProbe = length -> {};
        this.pipelined = false;
    }

    private SelfSpeculativeGenerator(SelfSpeculativeGenerator base, java.util.function.IntConsumer cacheProbe,
            boolean pipelined) {
        this.model = base.model;
        this.tokenizer = base.tokenizer;
        this.exitLayer = base.exitLayer;
        this.draftLength = base.draftLength;
        this.drafter = base.drafter;
        this.cacheProbe = cacheProbe;
        this.pipelined = pipelined;
    }

    /** For tests: a copy that reports the cache length after every round's rollback. */
    SelfSpeculativeGenerator withCacheProbe(java.util.function.IntConsumer probe) {
        return new SelfSpeculativeGenerator(this, probe, pipelined);
    }

    /**
     * A copy that drafts and verifies at the same time on two threads ({@link SpeculativePipeline}) for
     * greedy requests (repetition control included); sampled requests decode in rounds as before. The
     * output is the same; the draft length's maximum becomes how far the drafter may run ahead.
     *
     * @param on whether to pipeline
     * @return the generator
     * @throws IllegalArgumentException on a GPU model when {@code on} ({@link DeviceThreads}: both threads would
     *     queue on one CUDA stream)
     */
    public SelfSpeculativeGenerator withPipeline(boolean on) {
        DeviceThreads.requirePipelineAllowed(model.manager().getDevice(), on, PlanCalibration.PIPELINE_SETTING);
        return new SelfSpeculativeGenerator(this, cacheProbe, on);
    }

    /** @return whether greedy requests decode as a two-thread pipeline */
    public boolean pipelined() {
        return pipelined;
    }

    @Override
    public BatchPlan plan() {
        return new BatchPlan(exitLayer, drafter, draftLength, pipelined ? Schedule.PIPELINE : Schedule.ROUNDS);
    }

    @Override
    public int exitLayer() {
        return exitLayer;
    }

    /** @return how drafts are scored (the full head or a draft vocabulary) */
    public DraftScorer drafter() {
        return drafter;
    }

    /** @return the draft length policy */
    public DraftLength draftLength() {
        return draftLength;
    }

    @Override
    public GenerationResult generate(int[] promptIds, GenerationConfig config, TokenListener listener) {
        InferenceMode.enterOnThisThread();
        BatchRow row = new BatchRow(promptIds, config, tokenizer, listener, model.config(), draftLength, cacheProbe);
        try (IntraOpThreads.Scope threads = IntraOpThreads.use(model);
                RollingBatch batch = new RollingBatch(model, plan(), 1)) {
            batch.join(row);
            if (pipelined && !batch.rows().isEmpty() && row.sampler.config().isGreedy()) { // the first token may already end it
                batch.pipeline(RollingBatch.NEVER);
            }
            while (!batch.rows().isEmpty()) {
                batch.step();
            }
        }
        return row.result();
    }
}
