package dev.layerskip.protocol.openai;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face chat template ({@code chat_template} in tokenizer_config.json, Jinja) rendered with
 * Jinjava the way {@code transformers}' {@code apply_chat_template} renders it: {@code trim_blocks} and
 * {@code lstrip_blocks} on, the variables {@code messages}, {@code bos_token}, {@code eos_token} and
 * {@code add_generation_prompt}, and a {@code raise_exception(message)} function whose message becomes a
 * 400 naming the messages. Thread-safe.
 *
 * <p>Needs {@code com.hubspot.jinjava:jinjava} on the class path (an optional dependency of this library;
 * the CLI's jar carries it): check {@link #available()} before loading a template.
 */
public final class ChatTemplate {

    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    private final String template;
    private final String bosToken;
    private final String eosToken;
    private final String source;
    private final Jinjava jinjava;

    /**
     * @param template the Jinja template
     * @param bosToken the text of the BOS token ({@code bos_token}), or "" if none
     * @param eosToken the text of the EOS token ({@code eos_token}), or "" if none
     * @param source where the template came from, for messages
     */
    public ChatTemplate(String template, String bosToken, String eosToken, String source) {
        if (template == null || template.isBlank()) {
            throw new IllegalArgumentException(source + ": the chat template is empty");
        }
        this.template = template;
        this.bosToken = bosToken == null ? "" : bosToken;
        this.eosToken = eosToken == null ? "" : eosToken;
        this.source = source;
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).build());
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class,
                "raiseException", String.class));
    }

    /** @return whether Jinjava is on the class path */
    public static boolean available() {
        try {
            Class.forName("com.hubspot.jinjava.Jinjava", false, ChatTemplate.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * Reads the chat template of a checkpoint from its tokenizer_config.json.
     *
     * @param checkpoint the checkpoint directory
     * @return the template, or empty when the file or its {@code chat_template} is absent
     * @throws IOException naming the file when it cannot be read or is malformed
     */
    public static Optional<ChatTemplate> read(Path checkpoint) throws IOException {
        Path file = checkpoint.resolve("tokenizer_config.json");
        JsonObject config;
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            config = object(reader, file);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        JsonElement t = config.get("chat_template");
        if (t == null || t.isJsonNull()) {
            return Optional.empty();
        }
        return Optional.of(new ChatTemplate(templateText(t, file), token(config, "bos_token", file),
                token(config, "eos_token", file), file.toString()));
    }

    /**
     * Reads a template file (a server default for checkpoints without a chat template), with the BOS and EOS
     * token texts of the checkpoint's tokenizer_config.json when it has them.
     *
     * @param templateFile the Jinja file
     * @param checkpoint the checkpoint directory
     * @return the template
     * @throws IOException naming the file when it cannot be read
     */
    public static ChatTemplate readFile(Path templateFile, Path checkpoint) throws IOException {
        String text = Files.readString(templateFile, StandardCharsets.UTF_8);
        Path config = checkpoint.resolve("tokenizer_config.json");
        String bos = "";
        String eos = "";
        if (Files.isRegularFile(config)) {
            try (Reader reader = Files.newBufferedReader(config, StandardCharsets.UTF_8)) {
                JsonObject o = object(reader, config);
                bos = token(o, "bos_token", config);
                eos = token(o, "eos_token", config);
            }
        }
        return new ChatTemplate(text, bos, eos, templateFile.toString());
    }

    /** @return the BOS token's text ("" if none) */
    public String bosToken() {
        return bosToken;
    }

    /** @return where the template came from */
    public String source() {
        return source;
    }

    /**
     * Renders a conversation as the prompt that asks for the assistant's next message.
     *
     * @param messages the messages
     * @return the prompt text
     * @throws OpenAiException 400 when the template refuses the messages ({@code raise_exception}), 500 when
     *     the template itself fails
     */
    public String render(List<ChatMessage> messages) throws OpenAiException {
        List<Map<String, Object>> list = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            list.add(map);
        }
        Map<String, Object> context = new HashMap<>();
        context.put("messages", list);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        context.put("add_generation_prompt", true);
        RAISED.remove();
        try {
            RenderResult result = jinjava.renderForResult(template, context);
            String raised = RAISED.get();
            if (raised != null) {
                throw OpenAiException.invalid("messages", "the model's chat template refused the messages: " + raised);
            }
            for (TemplateError e : result.getErrors()) {
                if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                    throw new OpenAiException(500, "the chat template of " + source + " failed: " + e.getMessage()
                            + " at line " + e.getLineno(), "server_error", null, null);
                }
            }
            return result.getOutput();
        } finally {
            RAISED.remove();
        }
    }

    /**
     * Renders a conversation as the text to tokenize: like {@link #render}, without the template's leading BOS
     * token when the tokenizer adds BOS itself (as Llama tokenizer.json post-processors do), so the prompt does
     * not start with two.
     *
     * @param messages the messages
     * @param tokenizerAddsBos whether encoding adds the BOS token
     * @return the prompt text
     * @throws OpenAiException as {@link #render}, and 400 for an empty prompt
     */
    public String renderPrompt(List<ChatMessage> messages, boolean tokenizerAddsBos) throws OpenAiException {
        String prompt = render(messages);
        if (tokenizerAddsBos && !bosToken.isEmpty() && prompt.startsWith(bosToken)) {
            prompt = prompt.substring(bosToken.length());
        }
        if (prompt.isEmpty()) {
            throw OpenAiException.invalid("messages", "the chat template rendered an empty prompt");
        }
        return prompt;
    }

    /**
     * The template's {@code raise_exception}: records the message and stops rendering.
     *
     * @param message the template's message
     * @return never
     */
    public static String raiseException(String message) {
        RAISED.set(message);
        throw new IllegalArgumentException(message);
    }

    private static JsonObject object(Reader reader, Path file) throws IOException {
        JsonReader jsonReader = new JsonReader(reader); // strict; Gson 2.8.5 API
        JsonElement root;
        try {
            root = new Gson().getAdapter(JsonElement.class).read(jsonReader);
            if (jsonReader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("text after the JSON value");
            }
        } catch (JsonParseException | IllegalStateException | IOException e) {
            throw new IOException(file + ": malformed JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isJsonObject()) {
            throw new IOException(file + ": expected a JSON object");
        }
        return root.getAsJsonObject();
    }

    private static String templateText(JsonElement t, Path file) throws IOException {
        if (t.isJsonPrimitive() && t.getAsJsonPrimitive().isString()) {
            return t.getAsString();
        }
        if (t.isJsonArray()) { // [{"name": "default", "template": ...}, {"name": "tool_use", ...}]
            for (JsonElement e : t.getAsJsonArray()) {
                if (e.isJsonObject() && e.getAsJsonObject().has("name") && e.getAsJsonObject().has("template")
                        && "default".equals(e.getAsJsonObject().get("name").getAsString())) {
                    return e.getAsJsonObject().get("template").getAsString();
                }
            }
            throw new IOException(file + ": chat_template is a list without a template named 'default'");
        }
        throw new IOException(file + ": chat_template must be a string or a list of named templates");
    }

    private static String token(JsonObject config, String key, Path file) throws IOException {
        JsonElement e = config.get(key);
        if (e == null || e.isJsonNull()) {
            return "";
        }
        if (e.isJsonPrimitive() && e.getAsJsonPrimitive().isString()) {
            return e.getAsString();
        }
        if (e.isJsonObject() && e.getAsJsonObject().has("content")
                && e.getAsJsonObject().get("content").isJsonPrimitive()) { // an AddedToken object
            return e.getAsJsonObject().get("content").getAsString();
        }
        throw new IOException(file + ": " + key + " must be a string or an object with \"content\", got " + e);
    }
}
