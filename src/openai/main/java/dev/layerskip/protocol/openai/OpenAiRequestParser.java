package dev.layerskip.protocol.openai;

import static dev.layerskip.json.JsonFields.bool;
import static dev.layerskip.json.JsonFields.integer;
import static dev.layerskip.json.JsonFields.integral;
import static dev.layerskip.json.JsonFields.number;
import static dev.layerskip.json.JsonFields.string;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonPrimitive;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;

import dev.layerskip.generate.DecodingStrategy;
import dev.layerskip.generate.GenerationRequest;
import dev.layerskip.generate.RequestFieldException;
import dev.layerskip.json.JsonFieldException;
import dev.layerskip.json.StrictJson;
import dev.layerskip.generate.structured.SchemaNode;
import dev.layerskip.generate.structured.SchemaParser;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Parses OpenAI completion and chat-completion request bodies. The JSON must be strict; every error
 * names the field. Fields this server implements are used; fields whose default it matches are accepted
 * at that default only (no tools, no suffix, ...), anything else is a 400, and unknown fields are refused
 * rather than silently ignored.
 */
public final class OpenAiRequestParser {

    /** The most choices a request may ask for ({@code n}). */
    public static final int MAX_N = 8;
    /** The most alternatives per token on {@code /v1/completions} ({@code logprobs}), as OpenAI allows. */
    public static final int MAX_COMPLETION_LOGPROBS = 5;
    /** The most alternatives per token on {@code /v1/chat/completions} ({@code top_logprobs}), as OpenAI allows. */
    public static final int MAX_TOP_LOGPROBS = 20;

    private static final Set<String> COMMON = Set.of("model", "max_tokens", "max_completion_tokens", "temperature",
            "top_p", "seed", "stop", "stream", "stream_options", "n", "user", "frequency_penalty", "presence_penalty",
            "logprobs", "logit_bias", "strategy", "exit_layer", "num_speculations");
    private static final Set<String> CHAT = Set.of("messages", "tools", "tool_choice", "functions", "function_call",
            "parallel_tool_calls", "response_format", "top_logprobs", "store", "metadata");
    private static final Set<String> COMPLETION = Set.of("prompt", "echo", "suffix", "best_of");
    private static final Set<String> STRATEGIES = Set.of("autoregressive", "early-exit", "self-speculative");

    private OpenAiRequestParser() {}

    /**
     * Parses a {@code /v1/chat/completions} body.
     *
     * @param body the JSON text
     * @return the request
     * @throws OpenAiException naming the field at fault
     */
    public static OpenAiRequest chat(String body) throws OpenAiException {
        try {
            return chatRequest(body);
        } catch (JsonFieldException e) {
            throw typeError(e);
        }
    }

    private static OpenAiRequest chatRequest(String body) throws OpenAiException {
        JsonObject o = object(body);
        known(o, CHAT);
        JsonElement m = o.get("messages");
        if (m == null || !m.isJsonArray() || m.getAsJsonArray().size() == 0) {
            throw OpenAiException.invalid("messages", "'messages' must be a non-empty array of {\"role\", \"content\"}");
        }
        List<ChatMessage> messages = new ArrayList<>();
        JsonArray a = m.getAsJsonArray();
        for (int i = 0; i < a.size(); i++) {
            messages.add(message(a.get(i), "messages[" + i + "]"));
        }
        for (String f : List.of("tools", "functions")) {
            JsonElement t = o.get(f);
            if (t != null && !t.isJsonNull() && !(t.isJsonArray() && t.getAsJsonArray().size() == 0)) {
                throw OpenAiException.unsupported(f, "'" + f + "' is not supported: this server does not call tools");
            }
        }
        for (String f : List.of("tool_choice", "function_call")) {
            JsonElement t = o.get(f);
            if (t != null && !t.isJsonNull() && !(StrictJson.isString(t) && t.getAsString().equals("none"))) {
                throw OpenAiException.unsupported(f, "'" + f + "' is not supported: this server does not call tools");
            }
        }
        bool(o, "parallel_tool_calls", "");
        bool(o, "store", "");
        JsonElement metadata = o.get("metadata");
        if (metadata != null && !metadata.isJsonNull() && !metadata.isJsonObject()) {
            throw OpenAiException.invalid("metadata", "'metadata' must be an object");
        }
        SchemaNode responseFormat = responseFormat(o.get("response_format"));
        Boolean logprobs = bool(o, "logprobs", "");
        Integer top = integer(o, "top_logprobs", "");
        if (top != null && (top < 0 || top > MAX_TOP_LOGPROBS)) {
            throw OpenAiException.invalid("top_logprobs", "'top_logprobs' must be in 0.." + MAX_TOP_LOGPROBS + ", got " + top);
        }
        if (top != null && (logprobs == null || !logprobs)) {
            throw OpenAiException.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true");
        }
        boolean on = logprobs != null && logprobs;
        return common(o, null, messages, on ? (top == null ? 0 : top) : -1, false, responseFormat);
    }

    /**
     * Parses a {@code /v1/completions} body.
     *
     * @param body the JSON text
     * @return the request
     * @throws OpenAiException naming the field at fault
     */
    public static OpenAiRequest completion(String body) throws OpenAiException {
        try {
            return completionRequest(body);
        } catch (JsonFieldException e) {
            throw typeError(e);
        }
    }

    /** A field of the wrong type, named as the client sent it. */
    private static OpenAiException typeError(JsonFieldException e) {
        return OpenAiException.invalid(e.field(), "'" + e.field() + "' " + e.problem());
    }

    private static OpenAiRequest completionRequest(String body) throws OpenAiException {
        JsonObject o = object(body);
        known(o, COMPLETION);
        JsonElement p = o.get("prompt");
        String prompt;
        if (p != null && StrictJson.isString(p)) {
            prompt = p.getAsString();
        } else if (p != null && p.isJsonArray() && p.getAsJsonArray().size() == 1 && StrictJson.isString(p.getAsJsonArray().get(0))) {
            prompt = p.getAsJsonArray().get(0).getAsString();
        } else if (p != null && p.isJsonArray() && p.getAsJsonArray().size() > 1) {
            throw OpenAiException.unsupported("prompt", "one prompt per request is supported, got "
                    + p.getAsJsonArray().size());
        } else {
            throw OpenAiException.invalid("prompt", "'prompt' must be a string, got " + (p == null ? "nothing" : StrictJson.brief(p)));
        }
        if (prompt.isEmpty()) {
            throw OpenAiException.invalid("prompt", "'prompt' must not be empty");
        }
        Boolean echo = bool(o, "echo", "");
        Integer logprobs = integer(o, "logprobs", "");
        if (logprobs != null && (logprobs < 0 || logprobs > MAX_COMPLETION_LOGPROBS)) {
            throw OpenAiException.invalid("logprobs", "'logprobs' must be in 0.." + MAX_COMPLETION_LOGPROBS + ", got " + logprobs);
        }
        JsonElement suffix = o.get("suffix");
        if (suffix != null && !suffix.isJsonNull()) {
            throw OpenAiException.unsupported("suffix", "'suffix' is not supported");
        }
        Integer bestOf = integer(o, "best_of", "");
        if (bestOf != null && bestOf != 1) {
            throw OpenAiException.unsupported("best_of", "only best_of = 1 is supported, got " + bestOf);
        }
        return common(o, prompt, List.of(), logprobs == null ? -1 : logprobs, echo != null && echo, null);
    }

    /** {@code response_format}: null for text, else the schema of the JSON answer. */
    private static SchemaNode responseFormat(JsonElement format) throws OpenAiException {
        if (format == null || format.isJsonNull()) {
            return null;
        }
        JsonElement type = format.isJsonObject() ? format.getAsJsonObject().get("type") : null;
        String kind = type != null && StrictJson.isString(type) ? type.getAsString() : "";
        switch (kind) {
            case "text":
                return null;
            case "json_object":
                return SchemaParser.anyObject();
            case "json_schema":
                JsonElement spec = format.getAsJsonObject().get("json_schema");
                JsonElement schema = spec != null && spec.isJsonObject() ? spec.getAsJsonObject().get("schema") : null;
                if (schema == null || !schema.isJsonObject()) {
                    throw OpenAiException.invalid("response_format.json_schema.schema",
                            "'response_format.json_schema.schema' must be a JSON Schema object");
                }
                try {
                    return SchemaParser.parse(schema.getAsJsonObject());
                } catch (IllegalArgumentException e) {
                    throw OpenAiException.unsupported("response_format.json_schema.schema",
                            "response_format.json_schema." + e.getMessage());
                }
            default:
                throw OpenAiException.invalid("response_format", "'response_format.type' must be text, json_object or "
                        + "json_schema, got " + StrictJson.brief(format));
        }
    }

    private static OpenAiRequest common(JsonObject o, String prompt, List<ChatMessage> messages, int logprobs, boolean echo,
            SchemaNode responseFormat) throws OpenAiException {
        String model = string(o, "model", "");
        String maxField = o.has("max_completion_tokens") && !o.get("max_completion_tokens").isJsonNull()
                ? "max_completion_tokens" : "max_tokens";
        Integer max = integer(o, maxField, "");
        Double temperature = number(o, "temperature", "");
        if (temperature != null && !(temperature >= 0 && temperature <= 2)) { // OpenAI's range; 0 means greedy
            throw OpenAiException.invalid("temperature", "'temperature' must be in [0, 2], got " + temperature);
        }
        Double topP = number(o, "top_p", "");
        Integer n = integer(o, "n", "");
        if (n != null && n < 1) {
            throw OpenAiException.invalid("n", "'n' must be >= 1, got " + n);
        }
        if (n != null && n > MAX_N) {
            throw OpenAiException.unsupported("n", "'n' must be in 1.." + MAX_N + " on this server, got " + n);
        }
        JsonElement bias = o.get("logit_bias");
        if (bias != null && !bias.isJsonNull() && !(bias.isJsonObject() && bias.getAsJsonObject().size() == 0)) {
            throw OpenAiException.unsupported("logit_bias", "'logit_bias' is not supported");
        }
        string(o, "user", "");
        Boolean stream = bool(o, "stream", "");
        GenerationRequest generation;
        try { // the ranges are the core request's, checked there once; errors name the field as the client sent it
            generation = GenerationRequest.builder().optMaxNewTokens(max)
                    .optDoSample(temperature != null ? Boolean.valueOf(temperature > 0) : topP != null ? Boolean.TRUE : null)
                    .optTemperature(temperature != null && temperature > 0 ? temperature : null).optTopP(topP)
                    .optSeed(seed(o)).optStopSequences(stops(o))
                    .optPresencePenalty(number(o, "presence_penalty", "")).optFrequencyPenalty(number(o, "frequency_penalty", ""))
                    .optStrategy(strategy(o)).optExitLayer(integer(o, "exit_layer", ""))
                    .optNumSpeculations(integer(o, "num_speculations", "")).build();
        } catch (RequestFieldException e) {
            String field = e.field().replace("max_new_tokens", maxField).replace("stop_sequences", "stop");
            String name = field.contains("[") ? field.substring(0, field.indexOf('[')) : field;
            throw OpenAiException.invalid(name, "'" + field + "' " + e.problem());
        }
        return new OpenAiRequest(model, prompt, messages, generation, max == null ? null : maxField,
                stream != null && stream, includeUsage(o), n == null ? 1 : n, logprobs, echo, responseFormat);
    }

    private static Long seed(JsonObject o) throws OpenAiException {
        JsonElement s = o.get("seed");
        return s == null || s.isJsonNull() ? null : integral(s, "seed");
    }

    private static DecodingStrategy strategy(JsonObject o) throws OpenAiException {
        String strategy = string(o, "strategy", "");
        if (strategy != null && !STRATEGIES.contains(strategy)) {
            throw OpenAiException.invalid("strategy", "'strategy' must be one of " + new TreeSet<>(STRATEGIES)
                    + ", got '" + strategy + "'");
        }
        return strategy == null ? null : DecodingStrategy.fromName(strategy);
    }

    private static boolean includeUsage(JsonObject o) throws OpenAiException {
        JsonElement options = o.get("stream_options");
        if (options == null || options.isJsonNull()) {
            return false;
        }
        if (!options.isJsonObject()) {
            throw OpenAiException.invalid("stream_options", "'stream_options' must be an object, got " + StrictJson.brief(options));
        }
        for (String key : options.getAsJsonObject().keySet()) {
            if (!key.equals("include_usage")) {
                throw OpenAiException.unsupported("stream_options." + key, "unknown field 'stream_options." + key + "'");
            }
        }
        return Boolean.TRUE.equals(bool(options.getAsJsonObject(), "include_usage", ""));
    }

    private static ChatMessage message(JsonElement e, String at) throws OpenAiException {
        if (!e.isJsonObject()) {
            throw OpenAiException.invalid(at, at + " must be an object with \"role\" and \"content\", got " + StrictJson.brief(e));
        }
        JsonObject m = e.getAsJsonObject();
        for (String key : m.keySet()) {
            if (!key.equals("role") && !key.equals("content") && !key.equals("name")) {
                throw OpenAiException.unsupported(at + "." + key, "unsupported field '" + at + "." + key
                        + "' (messages carry role, content and name)");
            }
        }
        JsonElement role = m.get("role");
        if (role == null || !StrictJson.isString(role)) {
            throw OpenAiException.invalid(at + ".role", at + ".role must be a string");
        }
        String r = role.getAsString();
        if (!Set.of("system", "developer", "user", "assistant").contains(r)) {
            throw OpenAiException.unsupported(at + ".role", at + ".role must be system, developer, user or assistant, got '"
                    + r + "'");
        }
        JsonElement c = m.get("content");
        if (c == null || c.isJsonNull()) {
            throw OpenAiException.invalid(at + ".content", at + ".content is missing");
        }
        if (StrictJson.isString(c)) {
            return new ChatMessage(r, c.getAsString());
        }
        if (!c.isJsonArray()) {
            throw OpenAiException.invalid(at + ".content", at + ".content must be a string or an array of text parts");
        }
        StringBuilder text = new StringBuilder();
        JsonArray parts = c.getAsJsonArray();
        for (int i = 0; i < parts.size(); i++) {
            JsonElement part = parts.get(i);
            JsonElement type = part.isJsonObject() ? part.getAsJsonObject().get("type") : null;
            JsonElement t = part.isJsonObject() ? part.getAsJsonObject().get("text") : null;
            if (type == null || !StrictJson.isString(type) || !type.getAsString().equals("text") || t == null || !StrictJson.isString(t)) {
                throw OpenAiException.unsupported(at + ".content[" + i + "]", at + ".content[" + i
                        + "]: only {\"type\": \"text\", \"text\": ...} parts are supported, got " + StrictJson.brief(part));
            }
            text.append(t.getAsString());
        }
        return new ChatMessage(r, text.toString());
    }

    private static List<String> stops(JsonObject o) throws OpenAiException {
        JsonElement e = o.get("stop");
        if (e == null || e.isJsonNull()) {
            return List.of();
        }
        List<String> stops = new ArrayList<>();
        if (StrictJson.isString(e)) {
            stops.add(e.getAsString());
        } else if (e.isJsonArray()) {
            JsonArray a = e.getAsJsonArray();
            for (int i = 0; i < a.size(); i++) {
                if (!StrictJson.isString(a.get(i))) {
                    throw OpenAiException.invalid("stop", "stop[" + i + "] must be a string, got " + StrictJson.brief(a.get(i)));
                }
                stops.add(a.get(i).getAsString());
            }
        } else {
            throw OpenAiException.invalid("stop", "'stop' must be a string or an array of strings, got " + StrictJson.brief(e));
        }
        if (stops.size() > 4) {
            throw OpenAiException.invalid("stop", "at most 4 stop sequences, got " + stops.size());
        }
        return stops;
    }

    private static JsonObject object(String body) throws OpenAiException {
        if (body == null || body.isBlank()) {
            throw OpenAiException.invalid(null, "the request body is empty; expected a JSON object");
        }
        JsonElement root;
        try (JsonReader reader = new JsonReader(new StringReader(body))) { // strict by default; Gson 2.8.5 API
            root = new Gson().getAdapter(JsonElement.class).read(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new JsonParseException("text after the JSON value");
            }
        } catch (JsonParseException | IllegalStateException | IOException e) {
            throw OpenAiException.invalid(null, "the request body is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isJsonObject()) {
            throw OpenAiException.invalid(null, "the request body must be a JSON object");
        }
        return root.getAsJsonObject();
    }

    private static void known(JsonObject o, Set<String> specific) throws OpenAiException {
        for (String key : o.keySet()) {
            if (!COMMON.contains(key) && !specific.contains(key)) {
                Set<String> all = new TreeSet<>(COMMON);
                all.addAll(specific);
                throw OpenAiException.invalid(key, "unknown field '" + key + "' (supported: " + String.join(", ", all) + ")");
            }
        }
    }
}
