package dev.layerskip.djl;

import ai.djl.inference.streaming.ChunkedBytesSupplier;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.NDList;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import ai.djl.ndarray.BytesSupplier;

import dev.layerskip.generate.GenerationRejectedException;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.NonFiniteLogitsException;
import dev.layerskip.generate.TokenListener;
import dev.layerskip.generate.TokenLogprob;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;

/**
 * DJL Serving's {@code Input -> Output} translator speaking the LMI schema: a JSON request
 * ({@link LmiRequestParser}) in, {@code {"generated_text", "details"}} out, or with
 * {@code "stream": true} an {@code application/jsonlines} {@link ChunkedBytesSupplier} filled token by
 * token from a streaming thread (DJL Serving writes each chunk as it arrives). A bad request becomes
 * an Output with code 400 and {@code {"error", "code"}}, never an exception, so one bad request in a
 * batch does not fail the others. A cancelled {@link Input} (client gone) stops its generation.
 */
public final class LayerSkipServingTranslator implements NoBatchifyTranslator<Input, Output> {

    private static final Logger LOGGER = LoggerFactory.getLogger(LayerSkipServingTranslator.class);
    private static final String INPUT = "layerskip.input";

    private final GenerationService service;
    private final ExecutorService streams;

    /**
     * @param service the generation service
     * @param streams runs streaming generations (bounded; a full queue answers 503)
     */
    public LayerSkipServingTranslator(GenerationService service, ExecutorService streams) {
        this.service = service;
        this.streams = streams;
    }

    /** @return the service this translator runs */
    public GenerationService service() {
        return service;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Input input) {
        ctx.setAttachment(INPUT, input);
        return new NDList();
    }

    @Override
    public Output processOutput(TranslatorContext ctx, NDList list) {
        return serve((Input) ctx.getAttachment(INPUT));
    }

    /**
     * Serves one request (also usable without a predictor).
     *
     * @param input the request as DJL Serving builds it: the body under "data" (or the first
     *     content), headers as properties
     * @return the response
     */
    public Output serve(Input input) {
        PreparedGeneration prepared;
        try {
            BytesSupplier body = input == null ? null : input.getData();
            if (body != null) {
                Utf8Text.decode(body.getAsBytes()); // malformed UTF-8 is a 400, not U+FFFD replacements
            }
            LmiRequest request = LmiRequestParser.parse(body == null ? null : body.getAsBytes(),
                    input == null ? null : input.getProperty("Content-Type", null));
            prepared = service.prepare(request);
        } catch (InvalidRequestException e) {
            return error(e.getMessage(), InvalidRequestException.BAD_REQUEST);
        } catch (RuntimeException e) {
            LOGGER.error("preparing a request failed", e);
            return error("preparing the request failed: " + e, 500);
        }
        if (prepared.request().stream()) {
            return stream(input, prepared);
        }
        List<TokenText> tokens = new ArrayList<>();
        boolean details = prepared.request().parameters().wantsDetails(); // tokens are kept only for details.tokens
        try {
            GenerationResult result = service.run(prepared, listener(input, details ? tokens::add : t -> { }));
            return json(200, "application/json", LmiJson.response(prepared, result, tokens, this::tokenText));
        } catch (GenerationRejectedException e) {
            return error(e.getMessage() + "; retry later", 503);
        } catch (RuntimeException e) {
            LOGGER.error("generation failed", e);
            return error(failure(e), 500);
        }
    }

    private Output stream(Input input, PreparedGeneration prepared) {
        ChunkedBytesSupplier chunks = new ChunkedBytesSupplier();
        Output out = new Output();
        out.addProperty("Content-Type", "application/jsonlines");
        out.add(chunks);
        try {
            streams.execute(() -> streamInto(chunks, input, prepared));
        } catch (RejectedExecutionException e) {
            return error("too many streaming requests; retry later", 503);
        }
        return out;
    }

    private void streamInto(ChunkedBytesSupplier chunks, Input input, PreparedGeneration prepared) {
        // Hold back one token: the last line carries the last token with generated_text and details.
        TokenText[] held = new TokenText[1];
        String last = null;
        try {
            if (input != null && input.isCancelled()) {
                return; // the client left while this stream waited in the queue
            }
            GenerationResult result = service.run(prepared, listener(input, t -> {
                if (held[0] != null) {
                    chunks.appendContent(line(LmiJson.tokenLine(held[0], this::tokenText)), false);
                }
                held[0] = t;
            }));
            last = LmiJson.finalLine(held[0], prepared, result, this::tokenText);
        } catch (RuntimeException | Error e) {
            LOGGER.error("streaming generation failed", e);
            last = LmiJson.streamErrorLine(failure(e));
            if (e instanceof Error error) {
                throw error;
            }
        } finally {
            if (last != null) {
                chunks.appendContent(line(last), false);
            }
            // ChunkedBytesSupplier marks itself complete before it queues the chunk it is given, so a reader
            // could stop between the two: end with an empty chunk so no line that matters can be lost.
            chunks.appendContent(new byte[0], true);
        }
    }

    /** The text of one token id, for top_tokens and prefill. */
    private String tokenText(int id) {
        return service.tokenizer().decode(new int[] {id});
    }

    /** The message of a failed generation: the model's own words for non-finite logits, else the error. */
    private static String failure(Throwable e) {
        return e instanceof NonFiniteLogitsException ? e.getMessage() : "generation failed: " + e;
    }

    private static TokenListener listener(Input input, java.util.function.Consumer<TokenText> sink) {
        return new TokenListener() {
            private TokenLogprob logprob; // arrives just before its token

            @Override
            public void onLogprob(TokenLogprob value) {
                logprob = value;
            }

            @Override
            public void onToken(int tokenId, String textDelta) {
                sink.accept(new TokenText(tokenId, textDelta, logprob));
                logprob = null;
            }

            @Override
            public boolean cancelled() {
                return input != null && input.isCancelled();
            }
        };
    }

    private static byte[] line(String json) {
        return (json + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static Output json(int code, String contentType, String body) {
        Output out = new Output(code, code == 200 ? "OK" : "Error");
        out.addProperty("Content-Type", contentType);
        out.add(body.getBytes(StandardCharsets.UTF_8));
        return out;
    }

    /**
     * An LMI error response.
     *
     * @param message what is wrong
     * @param code the HTTP status code
     * @return the Output with {@code {"error", "code"}}
     */
    public static Output error(String message, int code) {
        return json(code, "application/json", LmiJson.error(message, code));
    }
}
