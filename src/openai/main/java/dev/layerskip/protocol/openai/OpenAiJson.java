package dev.layerskip.protocol.openai;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes the OpenAI wire format: completion and chat-completion responses (one or more choices, with
 * log-probabilities when asked for), their streamed chunks, the model list and errors.
 */
public final class OpenAiJson {

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private OpenAiJson() {}

    /**
     * Token counts of one request.
     *
     * @param promptTokens tokens in the (rendered) prompt
     * @param completionTokens tokens generated
     */
    public record Usage(int promptTokens, int completionTokens) {

        /** Validates the counts. */
        public Usage {
            if (promptTokens < 0 || completionTokens < 0) {
                throw new IllegalArgumentException("token counts must be >= 0");
            }
        }

        JsonObject json() {
            JsonObject u = new JsonObject();
            u.addProperty("prompt_tokens", promptTokens);
            u.addProperty("completion_tokens", completionTokens);
            u.addProperty("total_tokens", (long) promptTokens + completionTokens);
            return u;
        }
    }

    /**
     * One token's log-probability as the wire shows it.
     *
     * @param token the token's text
     * @param logprob its log-probability, or null (the first token of an echoed prompt has none)
     * @param top the most likely tokens at its position with theirs (empty for none asked), or null with a null logprob
     */
    public record Logprob(String token, Double logprob, List<Logprob> top) {}

    /**
     * One choice of a whole response.
     *
     * @param index the choice's index
     * @param text its text
     * @param finishReason stop or length
     * @param logprobs its log-probabilities ({@link #chatLogprobs} or {@link #completionLogprobs}), or null
     */
    public record Choice(int index, String text, String finishReason, JsonObject logprobs) {}

    /**
     * A whole (non-streamed) response.
     *
     * @param chat chat completion (else text completion)
     * @param id the response id
     * @param created seconds since the epoch
     * @param model the model name
     * @param choices the choices, by index
     * @param usage the token counts (all choices' completion tokens together)
     * @return the JSON text
     */
    public static String response(boolean chat, String id, long created, String model, List<Choice> choices, Usage usage) {
        JsonArray array = new JsonArray();
        for (Choice c : choices) {
            JsonObject choice = new JsonObject();
            choice.addProperty("index", c.index());
            if (chat) {
                JsonObject message = new JsonObject();
                message.addProperty("role", "assistant");
                message.addProperty("content", c.text());
                choice.add("message", message);
            } else {
                choice.addProperty("text", c.text());
            }
            choice.add("logprobs", c.logprobs() == null ? JsonNull.INSTANCE : c.logprobs());
            choice.addProperty("finish_reason", c.finishReason());
            array.add(choice);
        }
        JsonObject o = head(chat ? "chat.completion" : "text_completion", id, created, model, null);
        o.add("choices", array);
        o.add("usage", usage.json());
        return GSON.toJson(o);
    }

    /**
     * Chat log-probabilities: {@code {"content": [{"token", "logprob", "bytes", "top_logprobs"}], "refusal": null}}.
     *
     * @param tokens the tokens
     * @return the object
     */
    public static JsonObject chatLogprobs(List<Logprob> tokens) {
        JsonArray content = new JsonArray();
        for (Logprob t : tokens) {
            JsonObject entry = chatEntry(t);
            JsonArray top = new JsonArray();
            for (Logprob alternative : t.top()) {
                top.add(chatEntry(alternative));
            }
            entry.add("top_logprobs", top);
            content.add(entry);
        }
        JsonObject o = new JsonObject();
        o.add("content", content);
        o.add("refusal", JsonNull.INSTANCE);
        return o;
    }

    private static JsonObject chatEntry(Logprob t) {
        JsonObject entry = new JsonObject();
        entry.addProperty("token", t.token());
        entry.addProperty("logprob", t.logprob());
        JsonArray bytes = new JsonArray();
        for (byte b : t.token().getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
        entry.add("bytes", bytes);
        return entry;
    }

    /**
     * Completion log-probabilities: {@code {"tokens", "token_logprobs", "top_logprobs", "text_offset"}}.
     *
     * @param tokens the tokens
     * @param firstOffset where the first token's text starts in the choice's text (streams: in the whole text)
     * @return the object
     */
    public static JsonObject completionLogprobs(List<Logprob> tokens, int firstOffset) {
        JsonArray text = new JsonArray();
        JsonArray values = new JsonArray();
        JsonArray tops = new JsonArray();
        JsonArray offsets = new JsonArray();
        int offset = firstOffset;
        for (Logprob t : tokens) {
            text.add(t.token());
            values.add(t.logprob() == null ? JsonNull.INSTANCE : new JsonPrimitive(t.logprob()));
            if (t.top() == null) {
                tops.add(JsonNull.INSTANCE);
            } else {
                JsonObject top = new JsonObject();
                for (Logprob alternative : t.top()) {
                    top.addProperty(alternative.token(), alternative.logprob());
                }
                tops.add(top);
            }
            offsets.add(offset);
            offset += t.token().length();
        }
        JsonObject o = new JsonObject();
        o.add("tokens", text);
        o.add("token_logprobs", values);
        o.add("top_logprobs", tops);
        o.add("text_offset", offsets);
        return o;
    }

    /**
     * One streamed chunk.
     *
     * @param chat chat completion chunk (else text completion)
     * @param id the response id (the same for every chunk)
     * @param created seconds since the epoch
     * @param model the model name
     * @param index the choice's index
     * @param role the role to announce (first chat chunk), or null
     * @param text the text delta, or null for none
     * @param finishReason null until the last chunk
     * @param logprobs the log-probabilities of the chunk's tokens, or null
     * @return the JSON text
     */
    public static String chunk(boolean chat, String id, long created, String model, int index, String role, String text,
            String finishReason, JsonObject logprobs) {
        JsonObject choice = new JsonObject();
        choice.addProperty("index", index);
        if (chat) {
            JsonObject delta = new JsonObject();
            if (role != null) {
                delta.addProperty("role", role);
            }
            if (text != null) {
                delta.addProperty("content", text);
            }
            choice.add("delta", delta);
        } else {
            choice.addProperty("text", text == null ? "" : text);
        }
        choice.add("logprobs", logprobs == null ? JsonNull.INSTANCE : logprobs);
        choice.addProperty("finish_reason", finishReason);
        return GSON.toJson(head(chat ? "chat.completion.chunk" : "text_completion", id, created, model, choice));
    }

    /**
     * The last chunk of a stream asked for with {@code stream_options.include_usage}: no choices, the usage.
     *
     * @param chat chat completion chunk (else text completion)
     * @param id the response id
     * @param created seconds since the epoch
     * @param model the model name
     * @param usage the token counts
     * @return the JSON text
     */
    public static String usageChunk(boolean chat, String id, long created, String model, Usage usage) {
        JsonObject o = head(chat ? "chat.completion.chunk" : "text_completion", id, created, model, null);
        o.add("usage", usage.json());
        return GSON.toJson(o);
    }

    /**
     * The {@code GET /v1/models} list of one model.
     *
     * @param model the model name
     * @param created seconds since the epoch
     * @return the JSON text
     */
    public static String models(String model, long created) {
        JsonArray data = new JsonArray();
        data.add(modelObject(model, created));
        JsonObject o = new JsonObject();
        o.addProperty("object", "list");
        o.add("data", data);
        return GSON.toJson(o);
    }

    /**
     * The {@code GET /v1/models/{model}} answer: one model object.
     *
     * @param model the model name
     * @param created seconds since the epoch
     * @return the JSON text
     */
    public static String model(String model, long created) {
        return GSON.toJson(modelObject(model, created));
    }

    private static JsonObject modelObject(String model, long created) {
        JsonObject m = new JsonObject();
        m.addProperty("id", model);
        m.addProperty("object", "model");
        m.addProperty("created", created);
        m.addProperty("owned_by", "layerskip");
        return m;
    }

    /**
     * OpenAI's error shape.
     *
     * @param e the error
     * @return {@code {"error": {"message", "type", "param", "code"}}}
     */
    public static String error(OpenAiException e) {
        return error(e.getMessage(), e.type(), e.param(), e.code());
    }

    /**
     * OpenAI's error shape.
     *
     * @param message what went wrong
     * @param type the error type
     * @param param the field at fault, or null
     * @param code a code, or null
     * @return {@code {"error": {"message", "type", "param", "code"}}}
     */
    public static String error(String message, String type, String param, String code) {
        JsonObject e = new JsonObject();
        e.addProperty("message", message);
        e.addProperty("type", type);
        e.addProperty("param", param);
        e.addProperty("code", code);
        JsonObject o = new JsonObject();
        o.add("error", e);
        return GSON.toJson(o);
    }

    private static JsonObject head(String object, String id, long created, String model, JsonObject choice) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("object", object);
        o.addProperty("created", created);
        o.addProperty("model", model);
        JsonArray choices = new JsonArray();
        if (choice != null) {
            choices.add(choice);
        }
        o.add("choices", choices);
        return o;
    }
}
