package dev.layerskip.protocol.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Real checkpoints' chat templates (Llama 3 Instruct, Llama 2 chat) rendered through Jinjava, compared with
 * the prompt formats Meta documents for them, written out by hand here.
 */
class ChatTemplateTest {

    private static final Path TEMPLATES = Path.of("src/openai/test/resources/chat-templates");
    private static final List<ChatMessage> CONVERSATION = List.of(
            new ChatMessage("system", "You answer briefly."),
            new ChatMessage("user", "What is 2+2?"),
            new ChatMessage("assistant", "4"),
            new ChatMessage("user", "And 3+3?"));

    @Test
    void llama3InstructRendersHeadersAndEotAndAsksForTheAssistant() throws Exception {
        ChatTemplate t = ChatTemplate.read(TEMPLATES.resolve("llama3")).orElseThrow();
        assertEquals("<|begin_of_text|>", t.bosToken());
        String expected = "<|begin_of_text|>"
                + "<|start_header_id|>system<|end_header_id|>\n\nYou answer briefly.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertEquals(expected, t.render(CONVERSATION));
    }

    @Test
    void llama3TrimsContent() throws Exception {
        ChatTemplate t = ChatTemplate.read(TEMPLATES.resolve("llama3")).orElseThrow();
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", t.render(List.of(new ChatMessage("user", "  Hi\n"))));
    }

    @Test
    void llama2ChatRendersInstBlocksWithTheSystemPromptInTheFirst() throws Exception {
        ChatTemplate t = ChatTemplate.read(TEMPLATES.resolve("llama2")).orElseThrow();
        assertEquals("<s>", t.bosToken(), "bos_token given as an AddedToken object");
        String expected = "<s>[INST] <<SYS>>\nYou answer briefly.\n<</SYS>>\n\nWhat is 2+2? [/INST] 4 </s>"
                + "<s>[INST] And 3+3? [/INST]";
        assertEquals(expected, t.render(CONVERSATION));
        assertEquals("<s>[INST] Hi [/INST]", t.render(List.of(new ChatMessage("user", " Hi "))));
    }

    @Test
    void llama2RefusesRolesThatDoNotAlternateWithTheTemplatesOwnMessage() throws Exception {
        ChatTemplate t = ChatTemplate.read(TEMPLATES.resolve("llama2")).orElseThrow();
        OpenAiException e = assertThrows(OpenAiException.class,
                () -> t.render(List.of(new ChatMessage("user", "a"), new ChatMessage("user", "b"))));
        assertEquals(400, e.status());
        assertEquals("messages", e.param());
        assertEquals("the model's chat template refused the messages: "
                + "Conversation roles must alternate user/assistant/user/assistant/...", e.getMessage());
        // the raised message does not leak into the next rendering on this thread
        assertEquals("<s>[INST] a [/INST]", t.render(List.of(new ChatMessage("user", "a"))));
    }

    @Test
    void aCheckpointWithoutTemplateHasNone(@TempDir Path dir) throws Exception {
        assertTrue(ChatTemplate.read(dir).isEmpty(), "no tokenizer_config.json");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"bos_token\": \"<s>\"}");
        assertTrue(ChatTemplate.read(dir).isEmpty(), "no chat_template");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"chat_template\": 5}");
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> ChatTemplate.read(dir));
        assertEquals(dir.resolve("tokenizer_config.json") + ": chat_template must be a string or a list of named templates",
                e.getMessage());
    }

    @Test
    void aNamedTemplateListUsesTheDefault(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\", \"chat_template\": ["
                + "{\"name\": \"tool_use\", \"template\": \"tools\"}, "
                + "{\"name\": \"default\", \"template\": \"{% for m in messages %}[{{ m['role'] }}]{{ m['content'] }}{% endfor %}{{ eos_token }}\"}]}");
        assertEquals("[user]hi</s>", ChatTemplate.read(dir).orElseThrow().render(List.of(new ChatMessage("user", "hi"))));
    }

    @Test
    void theDemoCodeTemplateTurnsTheSystemMessageIntoAComment() throws Exception {
        ChatTemplate t = ChatTemplate.readFile(TEMPLATES.resolve("demo/code-chat.jinja"), Path.of("models/layerskip-demo"));
        assertEquals("<s># Read a file.\ndef read_lines(path):\n", t.render(List.of(
                new ChatMessage("system", "Read a file."), new ChatMessage("user", "def read_lines(path):\n"))));
    }
}
