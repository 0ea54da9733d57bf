package dev.layerskip.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.ZooModel;

import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiLanguageModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.Response;
import dev.layerskip.djl.DjlTestSupport;
import dev.layerskip.djl.LayerSkipCriteria;
import dev.layerskip.generate.GenerationResult;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The OpenAI-compatible endpoints driven by LangChain4j's real OpenAI client ({@code OpenAiChatModel},
 * {@code OpenAiStreamingChatModel}, {@code OpenAiLanguageModel}), against the demo model served with a code
 * chat template given as the server's default ({@code chat_template} argument). Every text is compared with
 * plain greedy decoding of the rendered prompt.
 */
class OpenAiClientsTest {

    static final Path TEMPLATE = Path.of("src/openai/test/resources/chat-templates/demo/code-chat.jinja").toAbsolutePath();
    /** The template renders system as a comment, then the user's code; the tokenizer adds BOS itself. */
    static final String RENDERED = "# Read a file.\ndef read_lines(path):\n";
    static final int TOKENS = 16;

    static ZooModel<Input, Output> model;
    static EmbeddedServer server;
    static GenerationResult reference;

    @BeforeAll
    static void start() throws Exception {
        reference = DjlTestSupport.greedyReference(DjlTestSupport.DEMO, RENDERED, TOKENS, 0);
        model = LayerSkipCriteria.builder(Input.class, Output.class).optModelPath(DjlTestSupport.DEMO)
                .optArgument("chat_template", TEMPLATE.toString()).optArgument("max_new_tokens", TOKENS).build().loadModel();
        server = EmbeddedServer.start(model, config());
    }

    static ServerConfig config() {
        return new ServerConfig("127.0.0.1", 0, "demo", 2, 8, 1 << 20, Duration.ofSeconds(60), Duration.ofSeconds(2));
    }

    @AfterAll
    static void stop() {
        server.close();
        model.close();
    }

    static String baseUrl() {
        return server.uri() + "v1";
    }

    static OpenAiChatModel.OpenAiChatModelBuilder chat() {
        return OpenAiChatModel.builder().baseUrl(baseUrl()).apiKey("unused").modelName("demo").temperature(0.0)
                .maxTokens(TOKENS).maxRetries(0).timeout(Duration.ofSeconds(60));
    }

    private static List<dev.langchain4j.data.message.ChatMessage> messages() {
        return List.of(SystemMessage.from("Read a file."), UserMessage.from("def read_lines(path):\n"));
    }

    /** A stop sequence from the middle of the reference text, so that it cuts the answer short. */
    static String stopSequence() {
        String text = reference.text();
        assertTrue(text.length() > 8, "reference too short: " + text);
        return text.substring(text.length() / 2, text.length() / 2 + 3);
    }

    @Test
    void plainChatIsTheGreedyContinuationOfTheRenderedPrompt() {
        ChatResponse r = chat().build().chat(messages());
        assertEquals(reference.text(), r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(reference.promptIds().length, r.tokenUsage().inputTokenCount());
        assertEquals(TOKENS, r.tokenUsage().outputTokenCount());
        assertEquals("demo", r.modelName());
    }

    @Test
    void logprobsReachLangChain4jsResponseMetadata() {
        ChatResponse r = chat().logprobs(true).topLogprobs(3).build().chat(messages());
        assertEquals(reference.text(), r.aiMessage().text());
        List<dev.langchain4j.model.openai.LogProb> values =
                ((dev.langchain4j.model.openai.OpenAiChatResponseMetadata) r.metadata()).logProbs();
        assertEquals(TOKENS, values.size());
        for (dev.langchain4j.model.openai.LogProb lp : values) {
            assertEquals(3, lp.topLogprobs().size());
            assertEquals(lp.topLogprobs().get(0).logprob(), lp.logprob(), 0.0, "greedy: the most likely token");
            assertEquals(lp.token().getBytes(java.nio.charset.StandardCharsets.UTF_8).length, lp.bytes().size());
        }
    }

    @Test
    void streamedChatArrivesInPiecesThatJoinToTheSameText() throws Exception {
        StringBuilder pieces = new StringBuilder();
        int[] count = new int[1];
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(baseUrl()).apiKey("unused")
                .modelName("demo").temperature(0.0).maxTokens(TOKENS).timeout(Duration.ofSeconds(60)).build();
        streaming.chat(messages(), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                pieces.append(partial);
                count[0]++;
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(60, TimeUnit.SECONDS);
        assertEquals(reference.text(), pieces.toString());
        assertTrue(count[0] > 1, "streamed in " + count[0] + " pieces");
        assertEquals(reference.text(), r.aiMessage().text());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertNotNull(r.tokenUsage(), "usage chunk (stream_options.include_usage)");
        assertEquals(TOKENS, r.tokenUsage().outputTokenCount());
    }

    @Test
    void aStopSequenceEndsTheAnswerBeforeIt() {
        String stop = stopSequence();
        ChatResponse r = chat().stop(List.of(stop)).build().chat(messages());
        String expected = reference.text().substring(0, reference.text().indexOf(stop));
        assertEquals(expected, r.aiMessage().text());
        assertEquals(FinishReason.STOP, r.finishReason());
    }

    @Test
    void completionsEndpointWithTheLanguageModel() throws Exception {
        String prompt = "def read_lines(path):\n";
        GenerationResult expected = DjlTestSupport.greedyReference(DjlTestSupport.DEMO, prompt, TOKENS, 0);
        Response<String> r = OpenAiLanguageModel.builder().baseUrl(baseUrl()).apiKey("unused").modelName("demo")
                .temperature(0.0).maxRetries(0).build().generate(prompt);
        assertEquals(expected.text(), r.content());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(expected.promptIds().length, r.tokenUsage().inputTokenCount());
    }

    @Test
    void errorsReachTheClientAsItsOwnExceptionsWithTheServersMessage() {
        ModelNotFoundException notFound = assertThrows(ModelNotFoundException.class,
                () -> chat().modelName("gpt-4o").build().chat(messages()));
        assertTrue(notFound.getMessage().contains("the model 'gpt-4o' does not exist; this server serves 'demo'"),
                notFound.getMessage());
        InvalidRequestException bias = assertThrows(InvalidRequestException.class,
                () -> chat().logitBias(java.util.Map.of("5", 3)).build().chat(messages()));
        assertTrue(bias.getMessage().contains("'logit_bias' is not supported"), bias.getMessage());
    }
}
