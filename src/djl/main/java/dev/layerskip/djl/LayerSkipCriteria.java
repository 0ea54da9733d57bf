package dev.layerskip.djl;

import ai.djl.repository.zoo.Criteria;

/**
 * {@link Criteria} builders preset for LayerSkip checkpoints: the PyTorch engine, the
 * {@link LayerSkipTranslatorFactory}, the {@link LayerSkipBlockFactory} and
 * {@code hasParameter=false}. Add {@code optModelPath(dir)} for any Hugging Face Llama/LayerSkip
 * checkpoint directory:
 *
 * <pre>{@code
 * Criteria<String, String> criteria = LayerSkipCriteria.builder(String.class, String.class)
 *         .optModelPath(Path.of("models/layerskip-demo"))
 *         .optArgument("max_new_tokens", 64)
 *         .build();
 * }</pre>
 *
 * A directory with a serving.properties naming these factories (such as {@code serving-config/})
 * loads with a plain {@code Criteria.builder()} as well, which is how DJL Serving loads it.
 */
public final class LayerSkipCriteria {

    private LayerSkipCriteria() {}

    /**
     * @param input String or Input
     * @param output String, GenerationResult or Output
     * @param <I> the input type
     * @param <O> the output type
     * @return a builder with engine, translator factory and block factory set
     */
    public static <I, O> Criteria.Builder<I, O> builder(Class<I> input, Class<O> output) {
        return Criteria.builder()
                .setTypes(input, output)
                .optEngine("PyTorch")
                .optTranslatorFactory(new LayerSkipTranslatorFactory())
                .optArgument("blockFactory", new LayerSkipBlockFactory())
                .optOption("hasParameter", "false");
    }
}
