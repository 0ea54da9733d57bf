package dev.layerskip.generate;

import ai.djl.ndarray.NDManager;

import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.KvCache;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.tokenizer.TextTokenizer;

/**
 * One token per forward pass through layers {@code [0, E)} and the shared exit head. With E = L
 * this is ordinary decoding; with E &lt; L it is LayerSkip's early-exit inference (<a
 * href="https://arxiv.org/abs/2404.16710">Elhoushi et al., 2024</a>, §4.1).
 */
public final class AutoregressiveGenerator implements Generator {

    private final LlamaModel model;
    private final TextTokenizer tokenizer;
    private final int exitLayer;

    /**
     * Creates the generator.
     *
     * @param model the model
     * @param tokenizer decodes streamed text, or null to work with ids only
     * @param exitLayer E in 1..L (L = the full model)
     */
    public AutoregressiveGenerator(LlamaModel model, TextTokenizer tokenizer, int exitLayer) {
        if (exitLayer < 1 || exitLayer > model.numLayers()) {
            throw new IllegalArgumentException(
                    "exit layer " + exitLayer + " outside 1.." + model.numLayers());
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.exitLayer = exitLayer;
    }

    @Override
    public int exitLayer() {
        return exitLayer;
    }

    @Override
    public GenerationResult generate(int[] promptIds, GenerationConfig config, TokenListener listener) {
        int context = model.config().maxPositions();
        Prompts.check(promptIds, model.config());
        InferenceMode.enterOnThisThread();
        int p = promptIds.length;
        int limit = Math.min(config.maxNewTokens(), context - p + 1); // the last token is never fed back
        Sampler sampler = new Sampler(config.sampling());
        RepetitionProcessor penalties = new RepetitionProcessor(config.repetition(), promptIds);
        OutputCollector out = new OutputCollector(config, tokenizer, listener, limit);
        long start = System.nanoTime();
        long prefillNanos;
        try (NDManager generation = model.manager().newSubManager();
                KvCache cache = new KvCache(generation, model.config(), 1, p + limit - 1, exitLayer)) {
            int token = ForwardSteps.nextToken(model, generation, promptIds, exitLayer, cache, sampler, penalties);
            prefillNanos = System.nanoTime() - start;
            while (!out.accept(token)) {
                penalties.push(token);
                token = ForwardSteps.nextToken(model, generation, new int[] {token}, exitLayer, cache, sampler, penalties);
            }
        }
        long decodeNanos = System.nanoTime() - start - prefillNanos;
        GenerationStats stats = new GenerationStats(p, out.count(), prefillNanos, decodeNanos, 0, 0, 0, 0, 0);
        return new GenerationResult(promptIds, out.tokens(), out.text(), out.finishReason(), stats);
    }
}
