package dev.layerskip.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.KvCache;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.tokenizer.TextTokenizer;

import java.util.Arrays;

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
    }

    private SelfSpeculativeGenerator(SelfSpeculativeGenerator base, java.util.function.IntConsumer cacheProbe) {
        this.model = base.model;
        this.tokenizer = base.tokenizer;
        this.exitLayer = base.exitLayer;
        this.draftLength = base.draftLength;
        this.drafter = base.drafter;
        this.cacheProbe = cacheProbe;
    }

    /** For tests: a copy that reports the cache length after every round's rollback. */
    SelfSpeculativeGenerator withCacheProbe(java.util.function.IntConsumer probe) {
        return new SelfSpeculativeGenerator(this, probe);
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
        Prompts.check(promptIds, model.config());
        InferenceMode.enterOnThisThread();
        int p = promptIds.length;
        int limit = Math.min(config.maxNewTokens(), model.config().maxPositions() - p + 1);
        Sampler sampler = new Sampler(config.sampling());
        RepetitionProcessor penalties = new RepetitionProcessor(config.repetition(), promptIds);
        OutputCollector out = new OutputCollector(config, tokenizer, listener, limit);
        RoundStats stats = new RoundStats();
        long start = System.nanoTime();
        long prefillNanos;
        try (NDManager generation = model.manager().newSubManager();
                KvCache cache = new KvCache(generation, model.config(), 1, p + limit - 1, model.numLayers())) {
            int token = ForwardSteps.nextToken(model, generation, promptIds, model.numLayers(), cache, sampler, penalties);
            prefillNanos = System.nanoTime() - start;
            int drafts = draftLength.max();
            boolean done = out.accept(token);
            while (!done) {
                // At most remaining-1 drafts: a round yields up to drafts+1 tokens.
                penalties.push(token);
                int[] accepted = round(generation, cache, token, Math.min(drafts, out.remaining() - 1), sampler,
                        penalties, stats, listener);
                for (int i = 0; i < accepted.length; i++) {
                    if (i > 0) {
                        penalties.push(token); // every accepted token but the last, which the next round feeds
                    }
                    token = accepted[i];
                    if (out.accept(token)) {
                        done = true;
                        break;
                    }
                }
                drafts = draftLength.next(drafts, stats.lastDrafted, stats.lastAccepted);
            }
        }
        long decodeNanos = System.nanoTime() - start - prefillNanos;
        GenerationStats s = new GenerationStats(p, out.count(), prefillNanos, decodeNanos, stats.rounds,
                stats.drafted, stats.accepted, stats.draftNanos, stats.verifyNanos);
        return new GenerationResult(promptIds, out.tokens(), out.text(), out.finishReason(), s);
    }

    /**
     * One draft-verify-accept round; returns the accepted tokens (at least one). The penalties' context
     * ends with lastToken on entry and is left so on return; inside, the drafts are pushed as they are
     * drawn, so draft i and verification row i see exactly the tokens before their position.
     */
    private int[] round(NDManager generation, KvCache cache, int lastToken, int maxDrafts, Sampler sampler,
            RepetitionProcessor penalties, RoundStats stats, TokenListener listener) {
        int start = cache.length(); // position of lastToken, not yet in the cache
        int layers = model.numLayers();
        int[] drafts = new int[maxDrafts];
        double[][] draftProbs = new double[maxDrafts][]; // q per draft, kept when sampling for the accept rule
        NDList exitStates = new NDList(maxDrafts + 1); // x_E of positions start..start+d, each [1, 1, hidden]
        double threshold = draftLength.stopBelow();
        int context = penalties.length(); // prompt + accepted output, lastToken included
        boolean penalised = penalties.active();
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            long t0 = System.nanoTime();
            int d = 0;
            int input = lastToken;
            while (d < maxDrafts) {
                NDArray xE = model.forwardLayers(embedOne(generation, input), 0, exitLayer, cache, start + d); // [1, 1, hidden]
                exitStates.add(xE);
                NDArray logits = drafter.logits(xE); // [1, 1, N or vocab]; not checked: a bad draft is only a proposal
                double top;
                if (sampler.config().isGreedy() && !penalised) {
                    input = drafter.greedy(logits); // on the device: one id is copied, not the vocabulary
                    top = threshold > 0 ? logits.softmax(2).max().getFloat() : 1;
                } else if (sampler.config().isGreedy()) {
                    float[] row = penalties.apply(drafter.vocabularyRow(logits)); // [vocab], penalised on the host
                    input = Sampler.argmax(row);
                    top = threshold > 0 ? topProbability(row) : 1;
                } else {
                    float[] row = penalties.apply(drafter.vocabularyRow(logits)); // [vocab], -inf outside a draft vocabulary
                    draftProbs[d] = drafter.distribution(sampler, row); // computed once: drawn from here, reused to accept
                    input = sampler.draw(draftProbs[d]);
                    top = threshold > 0 ? topProbability(row) : 1;
                }
                drafts[d++] = input;
                penalties.push(input); // the next draft's context includes this one
                if (top < threshold) {
                    break;
                }
            }
            long t1 = System.nanoTime();
            // The last draft has no x_E yet: layers [0, E) for it alone, then [E, L) over all d+1 positions.
            exitStates.add(model.forwardLayers(embedOne(generation, input), 0, exitLayer, cache, start + d));
            NDArray kept = exitStates.size() == 1 ? exitStates.get(0) : NDArrays.concat(exitStates, 1); // [1, d+1, hidden]
            NDArray full = model.exitHead(model.forwardLayers(kept, exitLayer, layers, cache, start)); // [1, d+1, vocab]
            // Every emitted token comes from these logits, so this one check guards the output (drafts need none).
            FiniteCheck.requireFinite(full, "exit layer " + layers + ", positions " + start + ".." + (start + d));
            cache.commit(start + d + 1);
            int[] draftIds = Arrays.copyOf(drafts, d);
            int[] accepted;
            if (sampler.config().isGreedy() && !penalised) {
                accepted = SpeculativeAcceptance.decideGreedy(draftIds, ForwardSteps.argmaxRows(full)); // d+1 ids copied
            } else {
                float[][] rows = rows(full.toFloatArray(), d + 1);
                for (int i = d; i >= 0; i--) { // last row first: the context only shrinks
                    penalties.truncate(context + i); // row i follows lastToken and drafts 0..i-1
                    penalties.apply(rows[i]);
                }
                accepted = SpeculativeAcceptance.decide(draftIds, Arrays.copyOf(draftProbs, d), rows, sampler);
            }
            penalties.truncate(context);
            // Positions start .. start+k hold lastToken and the k accepted drafts; the rest is discarded.
            cache.rollback(start + accepted.length);
            cacheProbe.accept(cache.length());
            stats.record(d, accepted.length - 1, t1 - t0, System.nanoTime() - t1);
            listener.onDraft(draftIds, accepted.length - 1);
            return accepted;
        }
    }

    private NDArray embedOne(NDManager generation, int token) {
        return model.embed(generation.create(new int[] {token}).reshape(1, 1)); // [1, 1, hidden]
    }

    private static float[][] rows(float[] flat, int n) {
        int v = flat.length / n;
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = Arrays.copyOfRange(flat, i * v, (i + 1) * v);
        }
        return out;
    }

    /** The softmax probability of the most likely token. */
    static double topProbability(float[] logits) {
        float max = logits[Sampler.argmax(logits)];
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return 1 / sum;
    }

    /** Counters across rounds. */
    private static final class RoundStats {
        int rounds;
        int drafted;
        int accepted;
        long draftNanos;
        long verifyNanos;
        int lastDrafted;
        int lastAccepted;

        void record(int d, int k, long draft, long verify) {
            rounds++;
            drafted += d;
            accepted += k;
            draftNanos += draft;
            verifyNanos += verify;
            lastDrafted = d;
            lastAccepted = k;
        }
    }
}
