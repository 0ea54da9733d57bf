package dev.layerskip.generate;

import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.IntraOpThreads;
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
    public BatchPlan plan() {
        return BatchPlan.steps(exitLayer);
    }

    @Override
    public int exitLayer() {
        return exitLayer;
    }

    @Override
    public GenerationResult generate(int[] promptIds, GenerationConfig config, TokenListener listener) {
        InferenceMode.enterOnThisThread();
        BatchRow row = new BatchRow(promptIds, config, tokenizer, listener, model.config(), null, length -> {});
        try (IntraOpThreads.Scope threads = IntraOpThreads.use(model);
                RollingBatch batch = new RollingBatch(model, plan(), 1)) {
            batch.join(row);
            while (!batch.rows().isEmpty()) {
                batch.step();
            }
        }
        return row.result();
    }
}
