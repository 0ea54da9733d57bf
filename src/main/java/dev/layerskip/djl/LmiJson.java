package dev.layerskip.djl;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

import dev.layerskip.generate.FinishReason;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.GenerationStatsJson;

import java.util.List;

/**
 * Writes LMI responses: {@code {"generated_text", "details"}}, the jsonlines stream (one
 * {@code {"token": {"id", "text"}}} line per token, the last one also carrying generated_text and
 * details), and errors {@code {"error", "code"}}. Details hold LMI's finish_reason
 * ({@code length}, {@code eos_token}, {@code stop_sequence}), generated_tokens and inputs, plus the
 * decoding statistics of this project (strategy, exit_layer, acceptance_rate, ...).
 */
public final class LmiJson {

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private LmiJson() {}

    /**
     * The LMI name of a finish reason.
     *
     * @param reason the reason
     * @return length, eos_token, stop_sequence or cancelled
     */
    public static String finishReason(FinishReason reason) {
        switch (reason) {
            case EOS:
                return "eos_token";
            case STOP_STRING:
                return "stop_sequence";
            case CANCELLED:
                return "cancelled";
            case LENGTH:
            default:
                return "length";
        }
    }

    /**
     * The whole response of a non-streaming request.
     *
     * @param prepared the generation
     * @param result its result
     * @param tokens the generated tokens with their text (for details.tokens)
     * @return the JSON text
     */
    public static String response(PreparedGeneration prepared, GenerationResult result, List<TokenText> tokens) {
        JsonObject o = new JsonObject();
        o.addProperty("generated_text", GenerationService.generatedText(prepared, result));
        if (prepared.request().parameters().details()) {
            JsonObject details = details(prepared, result);
            JsonArray list = new JsonArray();
            for (TokenText t : tokens) {
                list.add(token(t));
            }
            details.add("tokens", list);
            o.add("details", details);
        }
        return GSON.toJson(o);
    }

    /**
     * One stream line for a token that is not the last.
     *
     * @param token the token
     * @return the line, without the newline
     */
    public static String tokenLine(TokenText token) {
        // written directly: this runs once per streamed token
        return "{\"token\":{\"id\":" + token.id() + ",\"text\":" + GSON.toJson(token.text()) + "}}";
    }

    /**
     * The last stream line: the last token (null when nothing was generated), generated_text, and details when
     * the request asked for them.
     *
     * @param last the last token, or null
     * @param prepared the generation
     * @param result its result
     * @return the line, without the newline
     */
    public static String finalLine(TokenText last, PreparedGeneration prepared, GenerationResult result) {
        JsonObject o = new JsonObject();
        o.add("token", last == null ? JsonNull.INSTANCE : token(last));
        o.addProperty("generated_text", GenerationService.generatedText(prepared, result));
        if (prepared.request().parameters().details()) { // as LMI: only when asked for
            o.add("details", details(prepared, result));
        }
        return GSON.toJson(o);
    }

    /**
     * The last stream line when generation failed after the stream started (LMI's error line).
     *
     * @param message what failed
     * @return the line, without the newline
     */
    public static String streamErrorLine(String message) {
        JsonObject token = new JsonObject();
        token.addProperty("id", -1);
        token.addProperty("text", "");
        token.addProperty("special_token", true);
        JsonObject details = new JsonObject();
        details.addProperty("finish_reason", "error");
        details.add("generated_tokens", JsonNull.INSTANCE);
        details.add("inputs", JsonNull.INSTANCE);
        JsonObject o = new JsonObject();
        o.add("token", token);
        o.addProperty("generated_text", "");
        o.add("details", details);
        o.addProperty("error", message);
        return GSON.toJson(o);
    }

    /**
     * An error body.
     *
     * @param message what is wrong
     * @param code the HTTP status code
     * @return {@code {"error": message, "code": code}}
     */
    public static String error(String message, int code) {
        JsonObject o = new JsonObject();
        o.addProperty("error", message);
        o.addProperty("code", code);
        return GSON.toJson(o);
    }

    private static JsonObject token(TokenText t) {
        JsonObject o = new JsonObject();
        o.addProperty("id", t.id());
        o.addProperty("text", t.text());
        return o;
    }

    private static JsonObject details(PreparedGeneration prepared, GenerationResult result) {
        JsonObject d = new JsonObject();
        d.addProperty("finish_reason", finishReason(result.finishReason()));
        d.addProperty("generated_tokens", result.tokenIds().length);
        d.addProperty("inputs", prepared.request().inputs());
        GenerationStatsJson.add(d, prepared.strategy(), prepared.generator(), result.stats());
        return d;
    }
}
