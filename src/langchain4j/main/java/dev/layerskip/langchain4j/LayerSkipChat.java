package dev.layerskip.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.layerskip.generate.DecodingSettings;
import dev.layerskip.generate.DecodingStrategy;
import dev.layerskip.generate.PlanCalibration;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.GenerationRequest;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.Generator;
import dev.layerskip.generate.RequestFieldException;
import dev.layerskip.generate.TokenListener;
import dev.layerskip.model.LoadedModel;
import dev.layerskip.protocol.openai.ChatTemplate;
import dev.layerskip.protocol.openai.OpenAiException;
import dev.layerskip.protocol.openai.StopTrimmer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * LangChain4j chat models backed by a {@link LoadedModel} in this process: {@link #chatModel()} (a
 * {@link ChatModel}) and {@link #streamingChatModel()} (a {@link StreamingChatModel} that streams each token
 * on the calling thread). Conversations are rendered with a chat template (the checkpoint's, or one given to
 * the builder); greedy unless the request sets a temperature above 0; stop sequences end the text before them.
 * Thread-safe: every request has its own KV cache. Needs {@code dev.langchain4j:langchain4j-core} and
 * {@code com.hubspot.jinjava:jinjava} on the class path (optional dependencies of this library). The caller
 * keeps ownership of the loaded model.
 */
public final class LayerSkipChat {

    private final LoadedModel model;
    private final Generator generator;
    private final ChatTemplate template;
    private final int maxNewTokens;
    private final String modelName;
    private final boolean tokenizerAddsBos;

    private LayerSkipChat(Builder b) {
        this.model = b.model;
        this.generator = b.generator != null ? b.generator
                : PlanCalibration.plan(DecodingSettings.of(DecodingStrategy.SELF_SPECULATIVE), model.model(),
                        model.speculationDefaults(), model.directory()).settings().build(model.model(), model.tokenizer(),
                        model.speculationDefaults(), model.directory());
        this.maxNewTokens = b.maxNewTokens;
        this.modelName = b.modelName != null ? b.modelName : model.directory().getFileName().toString();
        if (b.template != null) {
            this.template = b.template;
        } else {
            try {
                this.template = ChatTemplate.read(model.directory()).orElseThrow(() -> new IllegalArgumentException(
                        model.directory().resolve("tokenizer_config.json") + " has no chat_template: give one with "
                                + "LayerSkipChat.builder(model).chatTemplate(...)"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        int[] probe = model.tokenizer().encode("a");
        this.tokenizerAddsBos = probe.length > 0 && probe[0] == model.model().config().bosTokenId();
    }

    /**
     * @param model the loaded model (kept open by the caller while the chat models are used)
     * @return a builder
     */
    public static Builder builder(LoadedModel model) {
        return new Builder(model);
    }

    /** @return a LangChain4j {@link ChatModel} over this model */
    public ChatModel chatModel() {
        return new ChatModel() {
            @Override
            public ChatResponse doChat(ChatRequest request) {
                return run(request, text -> { });
            }
        };
    }

    /** @return a LangChain4j {@link StreamingChatModel} over this model (tokens are delivered on the calling thread) */
    public StreamingChatModel streamingChatModel() {
        return new StreamingChatModel() {
            @Override
            public void doChat(ChatRequest request, dev.langchain4j.model.chat.response.StreamingChatResponseHandler handler) {
                ChatResponse response;
                try {
                    response = run(request, handler::onPartialResponse);
                } catch (RuntimeException e) {
                    handler.onError(e);
                    return;
                }
                handler.onCompleteResponse(response);
            }
        };
    }

    /**
     * Runs one chat request.
     *
     * @param request the request
     * @param partial receives the text as it is generated (never text after a stop sequence)
     * @return the response
     */
    ChatResponse run(ChatRequest request, Consumer<String> partial) {
        ChatRequestParameters p = request.parameters();
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("tools are not supported by LayerSkipChat");
        }
        if ((p.frequencyPenalty() != null && p.frequencyPenalty() != 0)
                || (p.presencePenalty() != null && p.presencePenalty() != 0)) {
            throw new UnsupportedFeatureException("frequency and presence penalties are not supported by LayerSkipChat");
        }
        if (p.responseFormat() != null
                && p.responseFormat().type() != dev.langchain4j.model.chat.request.ResponseFormatType.TEXT) {
            throw new UnsupportedFeatureException("only text responses are supported by LayerSkipChat");
        }
        List<dev.layerskip.protocol.openai.ChatMessage> messages = new ArrayList<>();
        for (ChatMessage m : request.messages()) {
            messages.add(message(m));
        }
        String prompt;
        try {
            prompt = template.renderPrompt(messages, tokenizerAddsBos);
        } catch (OpenAiException e) {
            throw new InvalidRequestException(e.getMessage());
        }
        GenerationConfig config = config(p);
        List<String> stops = config.stopStrings();
        int[] ids = model.tokenizer().encode(prompt);
        StopTrimmer trimmer = new StopTrimmer(stops);
        StringBuilder text = new StringBuilder();
        GenerationResult result = generator.generate(ids, config, new TokenListener() {
            @Override
            public void onToken(int tokenId, String textDelta) {
                String t = trimmer.accept(textDelta);
                if (!t.isEmpty()) {
                    text.append(t);
                    partial.accept(t);
                }
            }
        });
        String rest = trimmer.finish();
        if (!rest.isEmpty()) {
            text.append(rest);
            partial.accept(rest);
        }
        FinishReason finish = switch (result.finishReason()) {
            case LENGTH -> FinishReason.LENGTH;
            case EOS, STOP_STRING -> FinishReason.STOP;
            case CANCELLED -> FinishReason.OTHER;
        };
        return ChatResponse.builder().aiMessage(AiMessage.from(text.toString())).modelName(modelName)
                .finishReason(trimmer.stopped() ? FinishReason.STOP : finish)
                .tokenUsage(new TokenUsage(ids.length, result.tokenIds().length)).build();
    }

    /**
     * LangChain4j's parameters as the core request: greedy unless a temperature above 0 is set, the builder's token
     * budget unless maxOutputTokens, the checkpoint's repetition control (generation_config.json).
     */
    private GenerationConfig config(ChatRequestParameters p) {
        boolean sample = p.temperature() != null && p.temperature() > 0;
        try {
            return GenerationRequest.builder()
                    .optMaxNewTokens(p.maxOutputTokens() != null ? p.maxOutputTokens() : maxNewTokens)
                    .optDoSample(sample).optTemperature(sample ? p.temperature() : null).optTopK(p.topK())
                    .optTopP(p.topP()).optStopSequences(p.stopSequences()).build()
                    .config(model.defaults(), ThreadLocalRandom.current()::nextLong);
        } catch (RequestFieldException e) {
            throw new InvalidRequestException(e.getMessage());
        }
    }

    private static dev.layerskip.protocol.openai.ChatMessage message(ChatMessage m) {
        if (m instanceof SystemMessage s) {
            return new dev.layerskip.protocol.openai.ChatMessage("system", s.text());
        }
        if (m instanceof UserMessage u) {
            if (!u.hasSingleText()) {
                throw new UnsupportedFeatureException("only text user messages are supported by LayerSkipChat");
            }
            return new dev.layerskip.protocol.openai.ChatMessage("user", u.singleText());
        }
        if (m instanceof AiMessage a && a.text() != null && !a.hasToolExecutionRequests()) {
            return new dev.layerskip.protocol.openai.ChatMessage("assistant", a.text());
        }
        throw new UnsupportedFeatureException("LayerSkipChat supports system, user and text AI messages, not " + m.type());
    }

    /** Builds a {@link LayerSkipChat}. */
    public static final class Builder {

        private final LoadedModel model;
        private Generator generator;
        private ChatTemplate template;
        private int maxNewTokens = 128;
        private String modelName;

        private Builder(LoadedModel model) {
            if (model == null) {
                throw new IllegalArgumentException("model must not be null");
            }
            this.model = model;
        }

        /**
         * @param generator the generator (default: self-speculative with the checkpoint's layerskip.json)
         * @return this
         */
        public Builder generator(Generator generator) {
            this.generator = generator;
            return this;
        }

        /**
         * @param template the chat template (default: the checkpoint's tokenizer_config.json chat_template)
         * @return this
         */
        public Builder chatTemplate(ChatTemplate template) {
            this.template = template;
            return this;
        }

        /**
         * @param maxNewTokens the most tokens per answer when the request sets none (default 128)
         * @return this
         */
        public Builder maxNewTokens(int maxNewTokens) {
            if (maxNewTokens < 1) {
                throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
            }
            this.maxNewTokens = maxNewTokens;
            return this;
        }

        /**
         * @param modelName the name in responses (default: the checkpoint directory's name)
         * @return this
         */
        public Builder modelName(String modelName) {
            this.modelName = modelName;
            return this;
        }

        /**
         * @return the chat models' source
         * @throws IllegalArgumentException if no chat template is given and the checkpoint has none
         */
        public LayerSkipChat build() {
            return new LayerSkipChat(this);
        }
    }
}
