package dev.layerskip.langchain4j;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.layerskip.djl.DjlTestSupport;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;
import dev.layerskip.protocol.openai.ChatTemplate;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

/** The in-process LangChain4j chat model: settings from the request, stop sequences, a missing template. */
class LayerSkipChatTest {

    private static LoadedModel model;
    private static LayerSkipChat chat;

    @BeforeAll
    static void load() throws Exception {
        model = LoadedModel.load(DjlTestSupport.DEMO, LoadOptions.CPU_FLOAT32);
        chat = LayerSkipChat.builder(model).chatTemplate(ChatTemplate.readFile(
                Path.of("src/openai/test/resources/chat-templates/demo/code-chat.jinja"), DjlTestSupport.DEMO)).build();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void requestParametersAndStopSequencesApply() throws Exception {
        GenerationResult reference = DjlTestSupport.greedyReference(DjlTestSupport.DEMO, "import os\n\n\ndef list_files(top):\n", 20, 0);
        ChatRequest plain = ChatRequest.builder().messages(UserMessage.from("import os\n\n\ndef list_files(top):\n")).maxOutputTokens(20).build();
        ChatResponse r = chat.chatModel().chat(plain);
        assertEquals(reference.text(), r.aiMessage().text());
        assertEquals(20, r.tokenUsage().outputTokenCount(), "reference: " + reference.tokenIds().length + " " + reference.finishReason() + " [" + reference.text() + "]");
        assertEquals("layerskip-demo", r.modelName());
        String stop = reference.text().substring(5, 7);
        ChatRequest stopped = ChatRequest.builder().messages(UserMessage.from("import os\n\n\ndef list_files(top):\n")).maxOutputTokens(20)
                .stopSequences(List.of(stop)).build();
        ChatResponse s = chat.chatModel().chat(stopped);
        assertEquals(reference.text().substring(0, reference.text().indexOf(stop)), s.aiMessage().text());
        assertEquals(FinishReason.STOP, s.finishReason());
    }

    @Test
    void settingsItCannotHonourAreRefused() {
        ChatRequest penalty = ChatRequest.builder().messages(UserMessage.from("def ")).frequencyPenalty(0.5).build();
        var e = assertThrows(dev.langchain4j.exception.UnsupportedFeatureException.class,
                () -> chat.chatModel().chat(penalty));
        assertEquals("frequency and presence penalties are not supported by LayerSkipChat", e.getMessage());
    }

    @Test
    void aCheckpointWithoutTemplateNeedsOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LayerSkipChat.builder(model).build());
        assertEquals(DjlTestSupport.DEMO.resolve("tokenizer_config.json") + " has no chat_template: give one with "
                + "LayerSkipChat.builder(model).chatTemplate(...)", e.getMessage());
    }
}
