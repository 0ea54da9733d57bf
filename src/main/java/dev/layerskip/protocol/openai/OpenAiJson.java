package dev.layerskip.protocol.openai;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

/**
 * Writes the OpenAI wire format: completion and chat-completion responses, their streamed chunks,
 * the model list and errors. {@code logprobs} is always null (not computed).
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
     * A whole (non-streamed) response.
     *
     * @param chat chat completion (else text completion)
     * @param id the response id
     * @param created seconds since the epoch
     * @param model the model name
     * @param text the generated text
     * @param finishReason stop or length
     * @param usage the token counts
     * @return the JSON text
     */
    public static String response(boolean chat, String id, long created, String model, String text, String finishReason,
            Usage usage) {
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
        if (chat) {
            JsonObject message = new JsonObject();
            message.addProperty("role", "assistant");
            message.addProperty("content", text);
            choice.add("message", message);
        } else {
            choice.addProperty("text", text);
        }
        choice.add("logprobs", JsonNull.INSTANCE);
        choice.addProperty("finish_reason", finishReason);
        JsonObject o = head(chat ? "chat.completion" : "text_completion", id, created, model, choice);
        o.add("usage", usage.json());
        return GSON.toJson(o);
    }

    /**
     * One streamed chunk.
     *
     * @param chat chat completion chunk (else text completion)
     * @param id the response id (the same for every chunk)
     * @param created seconds since the epoch
     * @param model the model name
     * @param role the role to announce (first chat chunk), or null
     * @param text the text delta, or null for none
     * @param finishReason null until the last chunk
     * @return the JSON text
     */
    public static String chunk(boolean chat, String id, long created, String model, String role, String text,
            String finishReason) {
        JsonObject choice = new JsonObject();
        choice.addProperty("index", 0);
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
        choice.add("logprobs", JsonNull.INSTANCE);
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
