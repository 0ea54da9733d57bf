package dev.layerskip.djl;

import ai.djl.ndarray.NDList;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslateException;
import ai.djl.translate.TranslatorContext;

import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.TokenListener;

import java.util.function.Function;

/**
 * Prompt in, continuation out, for {@code Predictor<String, String>} (the text) or
 * {@code Predictor<String, GenerationResult>} (ids, finish reason and decoding statistics such as
 * the self-speculative acceptance rate). Decoding follows the translator's defaults
 * ({@link GenerationArguments}: Criteria arguments or serving.properties).
 *
 * <p>The generation loop is this project's own (DJL's TextGenerator cannot serve Llama), so
 * {@link #processInput} hands DJL an empty {@link NDList}, which makes the predictor skip its
 * single forward call, and {@link #processOutput} runs the whole generation.
 *
 * @param <O> String or GenerationResult
 */
public final class LayerSkipTranslator<O> implements NoBatchifyTranslator<String, O> {

    private static final String PROMPT = "layerskip.prompt";

    private final GenerationService service;
    private final Function<GenerationResult, O> output;

    private LayerSkipTranslator(GenerationService service, Function<GenerationResult, O> output) {
        this.service = service;
        this.output = output;
    }

    /**
     * @param service the generation service
     * @return a translator returning the generated text
     */
    public static LayerSkipTranslator<String> text(GenerationService service) {
        return new LayerSkipTranslator<>(service, GenerationResult::text);
    }

    /**
     * @param service the generation service
     * @return a translator returning the whole result with statistics
     */
    public static LayerSkipTranslator<GenerationResult> results(GenerationService service) {
        return new LayerSkipTranslator<>(service, r -> r);
    }

    /** @return the service this translator runs (for streaming with a {@link TokenListener}) */
    public GenerationService service() {
        return service;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, String input) throws TranslateException {
        if (input == null || input.isEmpty()) {
            throw new TranslateException("the prompt is empty");
        }
        ctx.setAttachment(PROMPT, input);
        return new NDList();
    }

    @Override
    public O processOutput(TranslatorContext ctx, NDList list) throws TranslateException {
        String prompt = (String) ctx.getAttachment(PROMPT);
        PreparedGeneration prepared;
        try {
            prepared = service.prepare(LmiRequest.of(prompt));
        } catch (InvalidRequestException e) {
            throw new TranslateException(e.getMessage(), e);
        }
        return output.apply(service.run(prepared, TokenListener.NONE));
    }
}
