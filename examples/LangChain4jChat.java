import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.layerskip.langchain4j.LayerSkipChat;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;
import dev.layerskip.protocol.openai.ChatTemplate;

import java.nio.file.Path;
import java.util.List;

/**
 * A LangChain4j {@code ChatModel} and {@code StreamingChatModel} running LayerSkip in this process. The demo
 * model is not a chat model (it continues Python code), so this gives it a template that turns the system
 * message into a comment and the user message into the code to continue; a chat checkpoint brings its own
 * template in tokenizer_config.json and needs no {@code chatTemplate(...)}.
 *
 * <pre>java -cp target/layerskip.jar examples/LangChain4jChat.java [checkpoint-dir]</pre>
 */
public class LangChain4jChat {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "models/layerskip-demo");
        ChatTemplate codeTemplate = new ChatTemplate("{{ bos_token }}{% for m in messages %}"
                + "{% if m['role'] == 'system' %}# {{ m['content'] }}\n{% else %}{{ m['content'] }}{% endif %}{% endfor %}",
                "<s>", "</s>", "LangChain4jChat");
        try (LoadedModel model = LoadedModel.load(dir, LoadOptions.CPU_FLOAT32)) {
            LayerSkipChat chat = LayerSkipChat.builder(model).chatTemplate(codeTemplate).maxNewTokens(32).build();
            ChatModel chatModel = chat.chatModel();
            ChatResponse r = chatModel.chat(List.of(SystemMessage.from("Read a file."),
                    UserMessage.from("def read_lines(path):\n")));
            System.out.println(r.aiMessage().text());
            System.out.println("[" + r.finishReason() + ", " + r.tokenUsage().inputTokenCount() + " prompt tokens, "
                    + r.tokenUsage().outputTokenCount() + " generated]");

            StreamingChatModel streaming = chat.streamingChatModel();
            streaming.chat(List.of(UserMessage.from("import os\n\n\ndef list_files(top):\n")),
                    new StreamingChatResponseHandler() {
                        @Override
                        public void onPartialResponse(String partial) {
                            System.out.print(partial);
                        }

                        @Override
                        public void onCompleteResponse(ChatResponse response) {
                            System.out.println("\n[" + response.finishReason() + "]");
                        }

                        @Override
                        public void onError(Throwable error) {
                            System.err.println("failed: " + error);
                        }
                    });
        }
    }
}
