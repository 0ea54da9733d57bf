package dev.layerskip.serving;

import com.google.gson.JsonObject;

import dev.layerskip.djl.GenerationService;
import dev.layerskip.djl.PreparedGeneration;
import dev.layerskip.generate.FinishReason;
import dev.layerskip.generate.GenerationRejectedException;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.TokenListener;
import dev.layerskip.generate.TokenLogprob;
import dev.layerskip.protocol.openai.OpenAiException;
import dev.layerskip.protocol.openai.OpenAiJson;
import dev.layerskip.protocol.openai.OpenAiRequest;
import dev.layerskip.protocol.openai.StopTrimmer;
import dev.layerskip.tokenizer.TextTokenizer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Answers one OpenAI completion or chat-completion request: its {@code n} choices decoded together
 * ({@link GenerationService#runAll}), as one JSON response or as server-sent events, with each token's
 * log-probabilities when asked for ({@code logprobs} / {@code top_logprobs}) and, on completions, the
 * echoed prompt with its tokens' log-probabilities ({@code echo}).
 */
final class OpenAiCompletion {

    private static final Logger LOGGER = LoggerFactory.getLogger(OpenAiCompletion.class);

    private final GenerationService service;
    private final Exchange exchange;
    private final OpenAiRequest request;
    private final PreparedGeneration prepared;
    private final String model;
    private final String id;
    private final long created = Instant.now().getEpochSecond();
    private final List<Choice> choices = new ArrayList<>();

    /**
     * @param service the model's generation service
     * @param exchange the HTTP exchange
     * @param request the parsed request
     * @param prepared its generation, with the log-probabilities it asks for
     * @param model the served model's name
     */
    OpenAiCompletion(GenerationService service, Exchange exchange, OpenAiRequest request, PreparedGeneration prepared,
            String model) {
        this.service = service;
        this.exchange = exchange;
        this.request = request;
        this.prepared = prepared;
        this.model = model;
        this.id = (request.chat() ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
        for (int i = 0; i < request.n(); i++) {
            choices.add(new Choice(i));
        }
    }

    /**
     * Generates and answers.
     *
     * @throws IOException if the client left
     * @throws OpenAiException when the request cannot be served (503 when the batch queue is full)
     */
    void respond() throws IOException, OpenAiException {
        if (request.stream()) {
            stream();
        } else {
            whole();
        }
    }

    private List<PreparedGeneration> generations() {
        List<PreparedGeneration> out = new ArrayList<>();
        for (int i = 0; i < request.n(); i++) {
            out.add(prepared.choice(i));
        }
        return out;
    }

    private void whole() throws IOException, OpenAiException {
        List<GenerationResult> results;
        try {
            results = service.runAll(generations(), choices.stream().map(c -> c.listener(false)).toList());
        } catch (GenerationRejectedException e) {
            throw new OpenAiException(503, e.getMessage() + "; retry later", "server_error", null, "overloaded");
        }
        if (!exchange.isOpen()) {
            throw new IOException("client disconnected");
        }
        List<OpenAiJson.Choice> out = new ArrayList<>();
        int completionTokens = 0;
        for (Choice c : choices) {
            GenerationResult r = results.get(c.index);
            completionTokens += r.tokenIds().length;
            String echo = request.echo() ? request.prompt() : "";
            c.text.append(c.trimmer.finish());
            JsonObject logprobs = null;
            if (request.logprobs() >= 0) {
                List<OpenAiJson.Logprob> tokens = new ArrayList<>(request.echo() ? promptLogprobs(r.promptLogprobs()) : List.of());
                r.logprobs().forEach(lp -> tokens.add(wire(lp)));
                logprobs = request.chat() ? OpenAiJson.chatLogprobs(tokens) : OpenAiJson.completionLogprobs(tokens, 0);
            }
            out.add(new OpenAiJson.Choice(c.index, echo + c.text, finishReason(r, c.trimmer), logprobs));
        }
        exchange.sendJson(200, OpenAiJson.response(request.chat(), id, created, model, out,
                new OpenAiJson.Usage(prepared.promptIds().length, completionTokens)));
    }

    private void stream() throws IOException {
        exchange.responseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.responseHeaders().set("Cache-Control", "no-cache");
        exchange.startStream(200);
        for (Choice c : choices) {
            if (request.chat()) {
                event(OpenAiJson.chunk(true, id, created, model, c.index, "assistant", "", null, null));
            } else if (request.echo() && request.logprobs() < 0) {
                c.send(request.prompt(), List.of());
            }
        }
        List<GenerationResult> results;
        try {
            results = service.runAll(generations(), choices.stream().map(c -> c.listener(true)).toList());
        } catch (RuntimeException e) {
            LOGGER.error("streaming generation failed", e);
            event(OpenAiJson.error("generation failed: " + e, "server_error", null, null));
            done();
            return;
        }
        if (choices.stream().anyMatch(c -> c.gone) || !exchange.isOpen()) {
            throw new IOException("client disconnected");
        }
        int completionTokens = 0;
        for (Choice c : choices) {
            String rest = c.trimmer.finish();
            if (!rest.isEmpty() || !c.pending.isEmpty()) {
                c.send(rest, c.pending);
            }
            GenerationResult r = results.get(c.index);
            completionTokens += r.tokenIds().length;
            event(OpenAiJson.chunk(request.chat(), id, created, model, c.index, null, null, finishReason(r, c.trimmer), null));
        }
        if (request.includeUsage()) {
            event(OpenAiJson.usageChunk(request.chat(), id, created, model,
                    new OpenAiJson.Usage(prepared.promptIds().length, completionTokens)));
        }
        done();
    }

    /** One choice's state: its stop trimmer, its text or the stream's position, the log-probabilities not yet sent. */
    private final class Choice {
        final int index;
        final StopTrimmer trimmer = new StopTrimmer(request.stop());
        final StringBuilder text = new StringBuilder();
        final List<OpenAiJson.Logprob> pending = new ArrayList<>();
        int offset; // characters of this choice's text streamed so far (completions' text_offset)
        boolean gone;

        Choice(int index) {
            this.index = index;
        }

        TokenListener listener(boolean streaming) {
            return new TokenListener() {
                @Override
                public void onPromptLogprobs(List<TokenLogprob> logprobs) {
                    if (streaming && request.echo()) {
                        guarded(() -> send(request.prompt(), promptLogprobs(logprobs)));
                    }
                }

                @Override
                public void onLogprob(TokenLogprob logprob) {
                    if (streaming) {
                        pending.add(wire(logprob));
                    }
                }

                @Override
                public void onToken(int tokenId, String textDelta) {
                    String kept = trimmer.accept(textDelta);
                    if (!streaming) {
                        text.append(kept);
                    } else if (!kept.isEmpty()) {
                        guarded(() -> send(kept, pending));
                    }
                }

                @Override
                public boolean cancelled() {
                    return gone || !exchange.isOpen(); // the client left: stop generating
                }
            };
        }

        /** Streams a text delta with the log-probabilities of the tokens it completes. */
        void send(String delta, List<OpenAiJson.Logprob> logprobs) throws IOException {
            JsonObject values = null;
            if (request.logprobs() >= 0) {
                values = request.chat() ? OpenAiJson.chatLogprobs(logprobs) : OpenAiJson.completionLogprobs(logprobs, offset);
            }
            event(OpenAiJson.chunk(request.chat(), id, created, model, index, null, delta, null, values));
            offset += delta.length();
            pending.clear();
        }

        private void guarded(IoAction action) {
            if (gone) {
                return;
            }
            try {
                action.run();
            } catch (IOException e) {
                gone = true; // the client left: stop generating
            }
        }
    }

    /** A write that may fail because the client left. */
    private interface IoAction {
        void run() throws IOException;
    }

    /** The echoed prompt's tokens: the first without a value, the others with theirs. */
    private List<OpenAiJson.Logprob> promptLogprobs(List<TokenLogprob> values) {
        int[] ids = prepared.promptIds();
        List<OpenAiJson.Logprob> out = new ArrayList<>();
        out.add(new OpenAiJson.Logprob(tokenText(ids[0]), null, null));
        values.forEach(lp -> out.add(wire(lp)));
        return out;
    }

    private OpenAiJson.Logprob wire(TokenLogprob lp) {
        List<OpenAiJson.Logprob> top = new ArrayList<>();
        int[] ids = lp.topIds();
        double[] values = lp.topLogprobs();
        for (int i = 0; i < ids.length; i++) {
            top.add(new OpenAiJson.Logprob(tokenText(ids[i]), values[i], List.of()));
        }
        return new OpenAiJson.Logprob(tokenText(lp.tokenId()), lp.logprob(), top);
    }

    private String tokenText(int tokenId) {
        TextTokenizer tokenizer = service.tokenizer();
        return tokenizer.decode(new int[] {tokenId});
    }

    private static String finishReason(GenerationResult result, StopTrimmer trimmer) {
        return trimmer.stopped() || result.finishReason() == FinishReason.EOS
                || result.finishReason() == FinishReason.STOP_STRING ? "stop" : "length";
    }

    private void event(String json) throws IOException {
        exchange.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    private void done() throws IOException {
        exchange.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
        exchange.endStream();
    }
}
