package dev.layerskip.djl;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;

import dev.layerskip.generate.FinishReason;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.GenerationStatsJson;
import dev.layerskip.generate.TokenLogprob;

import java.util.List;
import java.util.function.IntFunction;

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
     * @param vocabulary the text of a token id (for top_tokens and prefill)
     * @return the JSON text
     */
    public static String response(PreparedGeneration prepared, GenerationResult result, List<TokenText> tokens,
            IntFunction<String> vocabulary) {
        JsonObject o = new JsonObject();
        o.addProperty("generated_text", GenerationService.generatedText(prepared, result));
        LmiParameters p = prepared.request().parameters();
        if (p.wantsDetails()) {
            JsonObject details = details(prepared, result);
            JsonArray list = new JsonArray();
            JsonArray top = new JsonArray();
            for (TokenText t : tokens) {
                list.add(token(t));
                top.add(topTokens(t, vocabulary));
            }
            details.add("tokens", list);
            if (p.topNTokens() > 0) {
                details.add("top_tokens", top);
            }
            if (p.decoderInputDetails()) {
                details.add("prefill", prefill(prepared.promptIds(), result.promptLogprobs(), vocabulary));
            }
            o.add("details", details);
        }
        return GSON.toJson(o);
    }

    /** One entry per prompt token: id, text, and log_prob (null for the first, which nothing predicts). */
    private static JsonArray prefill(int[] ids, List<TokenLogprob> values, IntFunction<String> vocabulary) {
        JsonArray out = new JsonArray();
        for (int i = 0; i < ids.length; i++) {
            JsonObject t = new JsonObject();
            t.addProperty("id", ids[i]);
            t.addProperty("text", vocabulary.apply(ids[i]));
            t.add("log_prob", i == 0 || i - 1 >= values.size() ? JsonNull.INSTANCE
                    : new com.google.gson.JsonPrimitive(values.get(i - 1).logprob()));
            out.add(t);
        }
        return out;
    }

    /** The most likely tokens at a generated token's position (TGI's top_tokens entry). */
    private static JsonArray topTokens(TokenText t, IntFunction<String> vocabulary) {
        JsonArray out = new JsonArray();
        if (t.logprob() != null) {
            int[] ids = t.logprob().topIds();
            double[] values = t.logprob().topLogprobs();
            for (int i = 0; i < ids.length; i++) {
                JsonObject alternative = new JsonObject();
                alternative.addProperty("id", ids[i]);
                alternative.addProperty("text", vocabulary.apply(ids[i]));
                alternative.addProperty("log_prob", values[i]);
                out.add(alternative);
            }
        }
        return out;
    }

    /**
     * One stream line for a token that is not the last.
     *
     * @param token the token
     * @param vocabulary the text of a token id (for top_tokens)
     * @return the line, without the newline
     */
    public static String tokenLine(TokenText token, IntFunction<String> vocabulary) {
        if (token.logprob() == null) { // written directly: this runs once per streamed token
            return "{\"token\":{\"id\":" + token.id() + ",\"text\":" + GSON.toJson(token.text()) + "}}";
        }
        JsonObject o = new JsonObject();
        o.add("token", token(token));
        if (token.logprob().topIds().length > 0) {
            o.add("top_tokens", topTokens(token, vocabulary));
        }
        return GSON.toJson(o);
    }

    /**
     * The last stream line: the last token (null when nothing was generated), generated_text, and details when
     * the request asked for them.
     *
     * @param last the last token, or null
     * @param prepared the generation
     * @param result its result
     * @param vocabulary the text of a token id (for top_tokens)
     * @return the line, without the newline
     */
    public static String finalLine(TokenText last, PreparedGeneration prepared, GenerationResult result,
            IntFunction<String> vocabulary) {
        JsonObject o = new JsonObject();
        o.add("token", last == null ? JsonNull.INSTANCE : token(last));
        if (last != null && last.logprob() != null && last.logprob().topIds().length > 0) {
            o.add("top_tokens", topTokens(last, vocabulary));
        }
        o.addProperty("generated_text", GenerationService.generatedText(prepared, result));
        if (prepared.request().parameters().wantsDetails()) { // as LMI: only when asked for
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
        if (t.logprob() != null) {
            o.addProperty("log_prob", t.logprob().logprob());
        }
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
