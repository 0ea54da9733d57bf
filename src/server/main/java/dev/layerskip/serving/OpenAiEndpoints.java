package dev.layerskip.serving;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.ZooModel;

import dev.layerskip.djl.GenerationService;
import dev.layerskip.djl.InvalidRequestException;
import dev.layerskip.djl.LayerSkipServingTranslator;
import dev.layerskip.djl.LayerSkipTranslatorFactory;
import dev.layerskip.djl.LmiParameters;
import dev.layerskip.djl.LmiRequest;
import dev.layerskip.djl.PreparedGeneration;
import dev.layerskip.djl.Utf8Text;
import dev.layerskip.generate.LogprobOptions;
import dev.layerskip.generate.structured.JsonConstraint;
import dev.layerskip.protocol.openai.ChatTemplate;
import dev.layerskip.protocol.openai.OpenAiException;
import dev.layerskip.protocol.openai.OpenAiJson;
import dev.layerskip.protocol.openai.OpenAiRequest;
import dev.layerskip.protocol.openai.OpenAiRequestParser;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * The OpenAI-compatible endpoints of the {@link EmbeddedServer}: {@code GET /v1/models},
 * {@code POST /v1/completions} and {@code POST /v1/chat/completions} ({@code "stream": true} answers
 * server-sent events ending with {@code data: [DONE]}). Requests share the server's admission limits with
 * the LMI endpoints (a request beyond them gets 503 before its body is parsed) and run on a worker thread
 * with the model's {@link GenerationService}; a client that disconnects cancels its generation, streaming
 * or not. Chat prompts are rendered with the
 * checkpoint's chat template ({@link ChatTemplate}), or the server's {@code chat_template} argument when the
 * checkpoint has none; without either, chat requests get a 400.
 */
final class OpenAiEndpoints {

    private static final Logger LOGGER = LoggerFactory.getLogger(OpenAiEndpoints.class);

    private final GenerationService service;
    private final ServerConfig config;
    private final Admission admission;
    private final Optional<ChatTemplate> template;
    private final String noTemplate;
    private final boolean tokenizerAddsBos;
    private final long created = Instant.now().getEpochSecond();

    /**
     * @param model the served model
     * @param config the server's settings
     * @param admission the server's generation slots (running + queued requests)
     */
    OpenAiEndpoints(ZooModel<Input, Output> model, ServerConfig config, Admission admission) {
        this.config = config;
        this.admission = admission;
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
     * Answers one request under {@code /v1/} (on the event loop: generation is handed to a worker).
     *
     * @param exchange the exchange
     * @throws IOException if the client is gone
     */
    void handle(Exchange exchange) throws IOException {
        String path = exchange.path();
        String method = exchange.method();
        try {
            if (service == null) {
                throw new OpenAiException(404, "the OpenAI endpoints need a model loaded with "
                        + "LayerSkipTranslatorFactory", OpenAiException.INVALID_REQUEST, null, null);
            }
            if (path.equals("/v1/models")) {
                expect(exchange, method, "GET");
                exchange.sendJson(200, OpenAiJson.models(config.modelName(), created));
            } else if (path.startsWith("/v1/models/")) {
                expect(exchange, method, "GET");
                String raw = path.substring("/v1/models/".length());
                String id;
                try {
                    id = java.net.URLDecoder.decode(raw, StandardCharsets.UTF_8);
                } catch (IllegalArgumentException e) {
                    id = raw; // a malformed %-escape names no model: answered like any unknown one
                }
                if (!id.equals(config.modelName())) {
                    throw new OpenAiException(404, "the model '" + id + "' does not exist here; this server serves '"
                            + config.modelName() + "'", OpenAiException.INVALID_REQUEST, "model", "model_not_found");
                }
                exchange.sendJson(200, OpenAiJson.model(config.modelName(), created));
            } else if (path.equals("/v1/completions") || path.equals("/v1/chat/completions")) {
                expect(exchange, method, "POST");
                boolean chat = path.equals("/v1/chat/completions");
                if (!admission.trySubmit(exchange, () -> complete(exchange, chat))) {
                    throw new OpenAiException(503, "server busy: " + config.workers() + " running and "
                            + config.queueSize() + " queued requests; retry later", "server_error", null, "overloaded");
                }
            } else {
                throw new OpenAiException(404, "no endpoint " + path + " (use /v1/models, /v1/completions or "
                        + "/v1/chat/completions)", OpenAiException.INVALID_REQUEST, null, "unknown_url");
            }
        } catch (OpenAiException e) {
            exchange.sendJson(e.status(), OpenAiJson.error(e));
        }
    }

    /** Runs one completion on a worker thread. */
    private void complete(Exchange exchange, boolean chat) throws IOException {
        try {
            String body;
            try {
                body = Utf8Text.decode(exchange.body());
            } catch (InvalidRequestException e) {
                throw OpenAiException.invalid(null, e.getMessage());
            }
            OpenAiRequest request = chat ? OpenAiRequestParser.chat(body) : OpenAiRequestParser.completion(body);
            if (request.model() != null && !request.model().equals(config.modelName())) {
                throw new OpenAiException(404, "the model '" + request.model() + "' does not exist; this server serves '"
                        + config.modelName() + "'", OpenAiException.INVALID_REQUEST, "model", "model_not_found");
            }
            String prompt = chat ? chatPrompt(request) : request.prompt();
            checkMaxTokens(request, service.defaults().maxNewTokensCap());
            PreparedGeneration prepared;
            try {
                prepared = service.prepare(new LmiRequest(prompt, LmiParameters.of(request.generation()), request.stream()));
            } catch (InvalidRequestException e) {
                String message = e.getMessage().replace("'inputs'", chat ? "'messages'" : "'prompt'")
                        .replace("parameters.", "");
                throw OpenAiException.invalid(chat ? "messages" : "prompt", message);
            }
            checkContext(request, prepared.promptIds().length, service.model().config().maxPositions());
            if (request.logprobs() >= 0) {
                prepared = prepared.withLogprobs(new LogprobOptions(request.logprobs(), request.echo()));
            }
            if (request.responseFormat() != null) {
                prepared = prepared.withConstraint(constraint(request, prepared));
            }
            new OpenAiCompletion(service, exchange, request, prepared, config.modelName()).respond();
        } catch (OpenAiException e) {
            exchange.sendJson(e.status(), OpenAiJson.error(e));
        }
    }

    /** The JSON constraint of response_format; 400 where the budget cannot hold the shortest document. */
    private JsonConstraint constraint(OpenAiRequest request, PreparedGeneration prepared) throws OpenAiException {
        int shortest = JsonConstraint.tokensNeeded(request.responseFormat());
        int budget = Math.min(prepared.config().maxNewTokens(),
                service.model().config().maxPositions() - prepared.promptIds().length + 1);
        if (budget < shortest) {
            String field = request.maxTokensField() != null ? request.maxTokensField() : "max_tokens";
            throw OpenAiException.invalid(field, "'response_format' needs '" + field + "' >= " + shortest
                    + " here (the shortest document of the schema has " + (shortest - 1) + " characters, then end-of-sequence), got "
                    + budget);
        }
        if (prepared.config().eosTokenIds().isEmpty()) {
            throw OpenAiException.invalid("response_format", "'response_format' needs the model's end-of-sequence id to end "
                    + "the document, and this checkpoint declares none");
        }
        return new JsonConstraint(request.responseFormat(), service.tokenTexts(), prepared.config().eosTokenIds());
    }

    private String chatPrompt(OpenAiRequest request) throws OpenAiException {
        if (template.isEmpty()) {
            throw OpenAiException.invalid("messages", noTemplate);
        }
        String prompt = template.get().renderPrompt(request.messages(), tokenizerAddsBos);
        return prompt;
    }

    /** A completion budget over the server's cap is refused naming the field the client sent, as OpenAI does. */
    private static void checkMaxTokens(OpenAiRequest r, int cap) throws OpenAiException {
        if (r.maxTokens() != null && r.maxTokens() > cap) {
            throw OpenAiException.invalid(r.maxTokensField(), "'" + r.maxTokensField() + "' is " + r.maxTokens()
                    + " but this server allows at most " + cap + " (its max_new_tokens_cap)");
        }
    }

    /** A prompt and an asked-for completion that do not fit the context together: OpenAI's 400, not a silent clamp. */
    private static void checkContext(OpenAiRequest r, int promptTokens, int context) throws OpenAiException {
        if (r.maxTokens() != null && (long) promptTokens + r.maxTokens() > context) {
            String input = r.chat() ? "messages" : "prompt";
            throw new OpenAiException(400, "this model's maximum context length is " + context + " tokens, but "
                    + (promptTokens + (long) r.maxTokens()) + " were requested (" + promptTokens + " in the " + input + ", "
                    + r.maxTokens() + " in '" + r.maxTokensField() + "'); shorten the " + input + " or lower '"
                    + r.maxTokensField() + "'", OpenAiException.INVALID_REQUEST, r.maxTokensField(), "context_length_exceeded");
        }
    }

    private static void expect(Exchange exchange, String method, String allowed) throws OpenAiException {
        if (!method.equals(allowed)) {
            exchange.responseHeaders().set("Allow", allowed);
            throw new OpenAiException(405, "use " + allowed + " for " + exchange.path(),
                    OpenAiException.INVALID_REQUEST, null, "method_not_allowed");
        }
    }
}
