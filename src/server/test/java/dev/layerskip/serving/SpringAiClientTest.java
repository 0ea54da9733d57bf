package dev.layerskip.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.ai.openai.api.OpenAiApi;
import org.springframework.ai.retry.NonTransientAiException;

import java.time.Duration;
import java.util.List;

/**
 * The OpenAI-compatible chat endpoint driven by Spring AI's OpenAI chat model (OpenAiApi + OpenAiChatModel
 * built without a Spring context): plain, streamed, stop sequences, errors.
 */
class SpringAiClientTest {

    @BeforeAll
    static void start() throws Exception {
        OpenAiClientsTest.start();
    }

    @AfterAll
    static void stop() {
        OpenAiClientsTest.stop();
    }

    private static OpenAiChatModel model(OpenAiChatOptions.Builder options) {
        OpenAiApi api = OpenAiApi.builder().baseUrl(OpenAiClientsTest.server.uri().toString().replaceAll("/$", ""))
                .apiKey("unused").build();
        return OpenAiChatModel.builder().openAiApi(api)
                .defaultOptions(options.model("demo").temperature(0.0).maxTokens(OpenAiClientsTest.TOKENS).build()).build();
    }

    private static Prompt prompt() {
        return new Prompt(List.of(new SystemMessage("Read a file."), new UserMessage("def read_lines(path):\n")));
    }

    @Test
    void plainChat() {
        ChatResponse r = model(OpenAiChatOptions.builder()).call(prompt());
        assertEquals(OpenAiClientsTest.reference.text(), r.getResult().getOutput().getText());
        assertEquals("LENGTH", r.getResult().getMetadata().getFinishReason());
        assertEquals(OpenAiClientsTest.reference.promptIds().length, r.getMetadata().getUsage().getPromptTokens());
        assertEquals(OpenAiClientsTest.TOKENS, r.getMetadata().getUsage().getCompletionTokens());
    }

    @Test
    void twoChoicesWithLogprobs() {
        ChatResponse r = model(OpenAiChatOptions.builder().N(2).logprobs(true).topLogprobs(2)).call(prompt());
        assertEquals(2, r.getResults().size(), "n = 2");
        for (var g : r.getResults()) {
            assertEquals(OpenAiClientsTest.reference.text(), g.getOutput().getText(), "greedy choices");
            Object values = g.getMetadata().get("logprobs"); // parsed by Spring AI into its own record
            assertTrue(values instanceof OpenAiApi.LogProbs, String.valueOf(values));
            List<OpenAiApi.LogProbs.Content> content = ((OpenAiApi.LogProbs) values).content();
            assertEquals(OpenAiClientsTest.TOKENS, content.size());
            for (OpenAiApi.LogProbs.Content c : content) {
                assertEquals(2, c.topLogprobs().size());
                assertEquals(c.topLogprobs().get(0).logprob(), c.logprob(), 0.0, "greedy: the most likely token");
                assertTrue(c.logprob() <= 0);
            }
        }
        assertEquals(2 * OpenAiClientsTest.TOKENS, r.getMetadata().getUsage().getCompletionTokens());
    }

    @Test
    void streamedChat() {
        List<ChatResponse> chunks = model(OpenAiChatOptions.builder()).stream(prompt()).collectList()
                .block(Duration.ofSeconds(60));
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (ChatResponse c : chunks) {
            if (c.getResult() != null && c.getResult().getOutput().getText() != null) {
                text.append(c.getResult().getOutput().getText());
            }
            if (c.getResult() != null && c.getResult().getMetadata().getFinishReason() != null
                    && !c.getResult().getMetadata().getFinishReason().isEmpty()) {
                finish = c.getResult().getMetadata().getFinishReason();
            }
        }
        assertTrue(chunks.size() > 2, "chunks: " + chunks.size());
        assertEquals(OpenAiClientsTest.reference.text(), text.toString());
        assertEquals("LENGTH", finish);
    }

    @Test
    void stopSequence() {
        String stop = OpenAiClientsTest.stopSequence();
        ChatResponse r = model(OpenAiChatOptions.builder().stop(List.of(stop))).call(prompt());
        String reference = OpenAiClientsTest.reference.text();
        assertEquals(reference.substring(0, reference.indexOf(stop)), r.getResult().getOutput().getText());
        assertEquals("STOP", r.getResult().getMetadata().getFinishReason());
    }

    @Test
    void anUnknownModelIsANonTransientErrorWithTheServersMessage() {
        OpenAiApi api = OpenAiApi.builder().baseUrl(OpenAiClientsTest.server.uri().toString().replaceAll("/$", ""))
                .apiKey("unused").build();
        OpenAiChatModel other = OpenAiChatModel.builder().openAiApi(api)
                .defaultOptions(OpenAiChatOptions.builder().model("gpt-4o").build()).build();
        NonTransientAiException e = assertThrows(NonTransientAiException.class, () -> other.call(prompt()));
        assertTrue(e.getMessage().contains("404") && e.getMessage().contains("model_not_found"), e.getMessage());
    }
}
