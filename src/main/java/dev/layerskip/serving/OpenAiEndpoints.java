package dev.layerskip.serving;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.ZooModel;

import com.sun.net.httpserver.HttpExchange;

import dev.layerskip.djl.GenerationService;
import dev.layerskip.djl.InvalidRequestException;
import dev.layerskip.generate.GenerationRejectedException;
import dev.layerskip.djl.LayerSkipServingTranslator;
import dev.layerskip.djl.LayerSkipTranslatorFactory;
import dev.layerskip.djl.LmiParameters;
import dev.layerskip.djl.LmiRequest;
import dev.layerskip.djl.PreparedGeneration;
import dev.layerskip.djl.Utf8Text;
import dev.layerskip.generate.FinishReason;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.TokenListener;
import dev.layerskip.protocol.openai.ChatTemplate;
import dev.layerskip.protocol.openai.OpenAiException;
import dev.layerskip.protocol.openai.OpenAiJson;
import dev.layerskip.protocol.openai.OpenAiRequest;
import dev.layerskip.protocol.openai.OpenAiRequestParser;
import dev.layerskip.protocol.openai.StopTrimmer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Semaphore;

/**
 * The OpenAI-compatible endpoints of the {@link EmbeddedServer}: {@code GET /v1/models},
 * {@code POST /v1/completions} and {@code POST /v1/chat/completions} ({@code "stream": true} answers
 * server-sent events ending with {@code data: [DONE]}). Requests share the server's admission limits with
 * the LMI endpoints and run on the model's {@link GenerationService}; chat prompts are rendered with the
 * checkpoint's chat template ({@link ChatTemplate}), or the server's {@code chat_template} argument when the
 * checkpoint has none; without either, chat requests get a 400.
 */
final class OpenAiEndpoints {

    private static final Logger LOGGER = LoggerFactory.getLogger(OpenAiEndpoints.class);

    private final GenerationService service;
    private final ServerConfig config;
    private final Semaphore admitted;
    private final Semaphore generating;
    private final Optional<ChatTemplate> template;
    private final String noTemplate;
    private final boolean tokenizerAddsBos;
    private final long created = Instant.now().getEpochSecond();

    /**
     * @param model the served model
     * @param config the server's settings
     * @param admitted the server's admission permits (running + queued requests)
     * @param generating the server's generation permits
     */
    OpenAiEndpoints(ZooModel<Input, Output> model, ServerConfig config, Semaphore admitted, Semaphore generating) {
        this.config = config;
        this.admitted = admitted;
        this.generating = generating;
        this.service = model.getTranslator() instanceof LayerSkipServingTranslator t ? t.service() : null;
        Optional<ChatTemplate> found = Optional.empty();
        String problem = null;
        String checkpoint = model.getProperty(LayerSkipTranslatorFactory.CHECKPOINT_PROPERTY);
        String fallback = model.getProperty(LayerSkipTranslatorFactory.CHAT_TEMPLATE_PROPERTY);
        if (checkpoint == null) {
            problem = "the model was not loaded by LayerSkipTranslatorFactory";
        } else if (!ChatTemplate.available()) {
            problem = "chat templates need com.hubspot.jinjava:jinjava on the class path";
        } else {
            try {
                found = ChatTemplate.read(Path.of(checkpoint));
                if (found.isEmpty() && fallback != null) {
                    found = Optional.of(ChatTemplate.readFile(Path.of(fallback), Path.of(checkpoint)));
                }
                if (found.isEmpty()) {
                    problem = "this model has no chat template (" + Path.of(checkpoint, "tokenizer_config.json")
                            + " has no chat_template, and the server has no chat_template argument, e.g. serve "
                            + "--chat-template FILE); use /v1/completions";
                }
            } catch (IOException | RuntimeException e) {
                LOGGER.error("cannot read the chat template", e);
                problem = "the chat template cannot be read: " + e.getMessage();
            }
        }
        this.template = found;
        this.noTemplate = problem;
        int[] probe = service == null ? new int[0] : service.tokenizer().encode("a");
        this.tokenizerAddsBos = probe.length > 0 && service.model().config().bosTokenId() == probe[0];
    }

    /**
     * Answers one request under {@code /v1/}.
     *
     * @param exchange the exchange
     */
    void handle(HttpExchange exchange) {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            try {
                if (service == null) {
                    throw new OpenAiException(404, "the OpenAI endpoints need a model loaded with "
                            + "LayerSkipTranslatorFactory", OpenAiException.INVALID_REQUEST, null, null);
                }
                if (path.equals("/v1/models")) {
                    expect(exchange, method, "GET");
                    send(exchange, 200, OpenAiJson.models(config.modelName(), created));
                } else if (path.equals("/v1/completions") || path.equals("/v1/chat/completions")) {
                    expect(exchange, method, "POST");
                    complete(exchange, path.equals("/v1/chat/completions"));
                } else {
                    throw new OpenAiException(404, "no endpoint " + path + " (use /v1/models, /v1/completions or "
                            + "/v1/chat/completions)", OpenAiException.INVALID_REQUEST, null, "unknown_url");
                }
            } catch (OpenAiException e) {
                send(exchange, e.status(), OpenAiJson.error(e));
            }
        } catch (IOException e) {
            LOGGER.debug("client connection failed: {}", e.toString());
        } catch (RuntimeException e) {
            LOGGER.error("request failed", e);
            if (exchange.getResponseCode() == -1) {
                try {
                    send(exchange, 500, OpenAiJson.error("internal error: " + e, "server_error", null, null));
                } catch (IOException gone) {
                    LOGGER.debug("client gone before the error could be sent: {}", gone.toString());
                }
            }
        }
    }

    private void complete(HttpExchange exchange, boolean chat) throws IOException, OpenAiException {
        String body = body(exchange);
        OpenAiRequest request = chat ? OpenAiRequestParser.chat(body) : OpenAiRequestParser.completion(body);
        if (request.model() != null && !request.model().equals(config.modelName())) {
            throw new OpenAiException(404, "the model '" + request.model() + "' does not exist; this server serves '"
                    + config.modelName() + "'", OpenAiException.INVALID_REQUEST, "model", "model_not_found");
        }
        String prompt = chat ? chatPrompt(request) : request.prompt();
        PreparedGeneration prepared;
        try {
            prepared = service.prepare(new LmiRequest(prompt, parameters(request), request.stream()));
        } catch (InvalidRequestException e) {
            String message = e.getMessage().replace("'inputs'", chat ? "'messages'" : "'prompt'")
                    .replace("parameters.", "");
            throw OpenAiException.invalid(chat ? "messages" : "prompt", message);
        }
        if (!admitted.tryAcquire()) {
            throw new OpenAiException(503, "server busy: " + config.workers() + " running and " + config.queueSize()
                    + " queued requests; retry later", "server_error", null, "overloaded");
        }
        try {
            generating.acquireUninterruptibly();
            try {
                if (request.stream()) {
                    stream(exchange, request, prepared);
                } else {
                    StopTrimmer trimmer = new StopTrimmer(request.stop());
                    StringBuilder text = new StringBuilder();
                    GenerationResult result = service.run(prepared, (id, delta) -> text.append(trimmer.accept(delta)));
                    text.append(trimmer.finish());
                    send(exchange, 200, OpenAiJson.response(chat, id(chat), Instant.now().getEpochSecond(),
                            config.modelName(), text.toString(), finishReason(result, trimmer), usage(prepared, result)));
                }
            } catch (GenerationRejectedException e) {
                throw new OpenAiException(503, e.getMessage() + "; retry later", "server_error", null, "overloaded");
            } finally {
                generating.release();
            }
        } finally {
            admitted.release();
        }
    }

    private void stream(HttpExchange exchange, OpenAiRequest request, PreparedGeneration prepared) throws IOException {
        boolean chat = request.chat();
        String id = id(chat);
        long now = Instant.now().getEpochSecond();
        String model = config.modelName();
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        if (chat) {
            event(out, OpenAiJson.chunk(true, id, now, model, "assistant", "", null));
        }
        StopTrimmer trimmer = new StopTrimmer(request.stop());
        boolean[] gone = new boolean[1];
        TokenListener listener = new TokenListener() {
            @Override
            public void onToken(int tokenId, String textDelta) {
                String text = trimmer.accept(textDelta);
                if (!text.isEmpty() && !gone[0]) {
                    try {
                        event(out, OpenAiJson.chunk(chat, id, now, model, null, text, null));
                    } catch (IOException e) {
                        gone[0] = true; // the client left: stop generating
                    }
                }
            }

            @Override
            public boolean cancelled() {
                return gone[0];
            }
        };
        GenerationResult result;
        try {
            result = service.run(prepared, listener);
        } catch (RuntimeException e) {
            LOGGER.error("streaming generation failed", e);
            event(out, OpenAiJson.error("generation failed: " + e, "server_error", null, null));
            done(out);
            return;
        }
        if (gone[0]) {
            throw new IOException("client disconnected");
        }
        String rest = trimmer.finish();
        if (!rest.isEmpty()) {
            event(out, OpenAiJson.chunk(chat, id, now, model, null, rest, null));
        }
        event(out, OpenAiJson.chunk(chat, id, now, model, null, null, finishReason(result, trimmer)));
        if (request.includeUsage()) {
            event(out, OpenAiJson.usageChunk(chat, id, now, model, usage(prepared, result)));
        }
        done(out);
    }

    private String chatPrompt(OpenAiRequest request) throws OpenAiException {
        if (template.isEmpty()) {
            throw OpenAiException.invalid("messages", noTemplate);
        }
        String prompt = template.get().renderPrompt(request.messages(), tokenizerAddsBos);
        return prompt;
    }

    private static LmiParameters parameters(OpenAiRequest r) {
        Boolean sample = r.temperature() != null ? Boolean.valueOf(r.temperature() > 0) : r.topP() != null ? Boolean.TRUE : null;
        Double temperature = r.temperature() != null && r.temperature() > 0 ? r.temperature() : null;
        return new LmiParameters(r.maxTokens(), sample, temperature, null, r.topP(), r.seed(), r.stop(), false, false,
                r.strategy(), r.exitLayer(), r.numSpeculations(), null, null, null, r.presencePenalty(), r.frequencyPenalty());
    }

    private static String finishReason(GenerationResult result, StopTrimmer trimmer) {
        return trimmer.stopped() || result.finishReason() == FinishReason.EOS
                || result.finishReason() == FinishReason.STOP_STRING ? "stop" : "length";
    }

    private static OpenAiJson.Usage usage(PreparedGeneration prepared, GenerationResult result) {
        return new OpenAiJson.Usage(prepared.promptIds().length, result.tokenIds().length);
    }

    private static String id(boolean chat) {
        return (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
    }

    private String body(HttpExchange exchange) throws IOException, OpenAiException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > config.maxRequestBytes()) {
                    throw tooLarge();
                }
            } catch (NumberFormatException e) {
                throw OpenAiException.invalid(null, "Content-Length is not a number: " + length);
            }
        }
        byte[] bytes;
        try (InputStream in = exchange.getRequestBody()) {
            bytes = in.readNBytes(config.maxRequestBytes() + 1);
        }
        if (bytes.length > config.maxRequestBytes()) {
            throw tooLarge();
        }
        try {
            return Utf8Text.decode(bytes);
        } catch (InvalidRequestException e) {
            throw OpenAiException.invalid(null, e.getMessage());
        }
    }

    private OpenAiException tooLarge() {
        return new OpenAiException(413, "the request body exceeds the limit of " + config.maxRequestBytes() + " bytes",
                OpenAiException.INVALID_REQUEST, null, "request_too_large");
    }

    private static void expect(HttpExchange exchange, String method, String allowed) throws OpenAiException {
        if (!method.equals(allowed)) {
            exchange.getResponseHeaders().set("Allow", allowed);
            throw new OpenAiException(405, "use " + allowed + " for " + exchange.getRequestURI().getPath(),
                    OpenAiException.INVALID_REQUEST, null, "method_not_allowed");
        }
    }

    private static void event(OutputStream out, String json) throws IOException {
        out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void done(OutputStream out) throws IOException {
        out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void send(HttpExchange exchange, int code, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(code, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
