package dev.layerskip.djl;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import dev.layerskip.json.StrictJson;
import dev.layerskip.json.StrictJsonException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Parses LMI request bodies into {@link LmiRequest}s. A JSON body must be an object with a string
 * {@code inputs}; a {@code text/plain} body is the prompt itself. Every error names the field and the
 * value, the JSON must be strict (no comments, unquoted names or trailing commas), and unknown fields are
 * refused (a misspelt field never silently falls back to a default).
 */
public final class LmiRequestParser {

    private static final Set<String> TOP_LEVEL = Set.of("inputs", "parameters", "stream");
    private static final Set<String> PARAMETERS = Set.of("max_new_tokens", "do_sample", "temperature", "top_k",
            "top_p", "seed", "stop_sequences", "stop", "details", "return_full_text", "strategy", "exit_layer",
            "num_speculations", "draft_confidence", "repetition_penalty", "no_repeat_ngram_size", "ignore_eos", "truncate",
            "best_of", "watermark", "top_n_tokens", "decoder_input_details", "typical_p");

    private LmiRequestParser() {}

    /**
     * Parses a request body.
     *
     * @param body the raw body (UTF-8)
     * @param contentType the request's Content-Type, or null (then JSON is expected)
     * @return the request
     * @throws InvalidRequestException naming what is malformed
     */
    public static LmiRequest parse(byte[] body, String contentType) throws InvalidRequestException {
        if (body == null || body.length == 0) {
            throw new InvalidRequestException("the request body is empty; expected {\"inputs\": \"...\"}");
        }
        String text = new String(body, StandardCharsets.UTF_8);
        if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("text/plain")) {
            return LmiRequest.of(text);
        }
        JsonElement root;
        try {
            root = StrictJson.parse(text); // no comments, unquoted names, trailing commas or duplicate names
        } catch (StrictJsonException e) {
            throw new InvalidRequestException("the request body is not valid JSON: " + e.getMessage(), e);
        }
        if (!root.isJsonObject()) {
            throw new InvalidRequestException("the request body must be a JSON object with \"inputs\", got " + StrictJson.brief(root));
        }
        JsonObject o = root.getAsJsonObject();
        rejectUnknown(o, TOP_LEVEL, "");
        JsonElement inputs = o.get("inputs");
        if (inputs == null || inputs.isJsonNull()) {
            throw new InvalidRequestException("missing field 'inputs' (the prompt string)");
        }
        if (!StrictJson.isString(inputs)) {
            throw new InvalidRequestException("'inputs' must be a string, got " + StrictJson.brief(inputs));
        }
        if (inputs.getAsString().isEmpty()) {
            throw new InvalidRequestException("'inputs' must not be empty");
        }
        Boolean stream = bool(o, "stream", "");
        JsonElement p = o.get("parameters");
        LmiParameters parameters = LmiParameters.NONE;
        if (p != null && !p.isJsonNull()) {
            if (!p.isJsonObject()) {
                throw new InvalidRequestException("'parameters' must be an object, got " + StrictJson.brief(p));
            }
            parameters = parameters(p.getAsJsonObject());
        }
        if (parameters.decoderInputDetails() && stream != null && stream) {
            throw new InvalidRequestException("parameters.decoder_input_details cannot be used with streaming (as in LMI);"
                    + " ask without \"stream\" for details.prefill");
        }
        return new LmiRequest(inputs.getAsString(), parameters, stream != null && stream);
    }

    private static LmiParameters parameters(JsonObject p) throws InvalidRequestException {
        String at = "parameters.";
        rejectUnknown(p, PARAMETERS, at);
        Integer max = integer(p, "max_new_tokens", at);
        if (max != null && max < 1) {
            throw new InvalidRequestException("parameters.max_new_tokens must be >= 1, got " + max);
        }
        Double temperature = number(p, "temperature", at);
        if (temperature != null && !(temperature > 0)) {
            throw new InvalidRequestException("parameters.temperature must be > 0, got " + temperature);
        }
        Integer topK = integer(p, "top_k", at);
        if (topK != null && topK < 0) {
            throw new InvalidRequestException("parameters.top_k must be >= 0 (0 = off), got " + topK);
        }
        Double topP = number(p, "top_p", at);
        if (topP != null && !(topP > 0 && topP <= 1)) {
            throw new InvalidRequestException("parameters.top_p must be in (0, 1], got " + topP);
        }
        Integer exit = integer(p, "exit_layer", at);
        if (exit != null && exit < 1) {
            throw new InvalidRequestException("parameters.exit_layer must be >= 1, got " + exit);
        }
        Integer d = integer(p, "num_speculations", at);
        if (d != null && d < 1) {
            throw new InvalidRequestException("parameters.num_speculations must be >= 1, got " + d);
        }
        String confidence = null;
        JsonElement c = p.get("draft_confidence");
        if (c != null && !c.isJsonNull()) {
            if (StrictJson.isString(c) && c.getAsString().equalsIgnoreCase("auto")) {
                confidence = "auto";
            } else {
                Double v = number(p, "draft_confidence", at);
                if (!(v > 0 && v < 1)) {
                    throw new InvalidRequestException("parameters.draft_confidence must be in (0, 1) or \"auto\", got " + v);
                }
                confidence = v.toString();
            }
        }
        String strategy = string(p, "strategy", at);
        if (strategy != null) {
            try {
                dev.layerskip.generate.DecodingStrategy.fromName(strategy);
            } catch (IllegalArgumentException e) {
                throw new InvalidRequestException("parameters.strategy: " + e.getMessage(), e);
            }
        }
        Long seed = null;
        JsonElement s = p.get("seed");
        if (s != null && !s.isJsonNull()) {
            seed = integral(s, at + "seed");
        }
        Double repetitionPenalty = number(p, "repetition_penalty", at);
        if (repetitionPenalty != null && !(repetitionPenalty > 0)) {
            throw new InvalidRequestException("parameters.repetition_penalty must be > 0 (1 = off), got " + repetitionPenalty);
        }
        Integer ngram = integer(p, "no_repeat_ngram_size", at);
        if (ngram != null && ngram < 0) {
            throw new InvalidRequestException("parameters.no_repeat_ngram_size must be >= 0 (0 = off), got " + ngram);
        }
        Integer truncate = integer(p, "truncate", at);
        if (truncate != null && truncate < 1) {
            throw new InvalidRequestException("parameters.truncate must be >= 1 (prompt tokens kept), got " + truncate);
        }
        refuseUnsupported(p, at);
        Integer topN = integer(p, "top_n_tokens", at);
        if (topN != null && (topN < 0 || topN > 20)) {
            throw new InvalidRequestException(at + "top_n_tokens must be in 0..20, got " + topN);
        }
        return new LmiParameters(max, bool(p, "do_sample", at), temperature, topK, topP, seed,
                stops(p, at), Boolean.TRUE.equals(bool(p, "details", at)),
                Boolean.TRUE.equals(bool(p, "return_full_text", at)), strategy, exit, d, confidence,
                repetitionPenalty, ngram, null, null, Boolean.TRUE.equals(bool(p, "ignore_eos", at)), truncate,
                topN == null ? 0 : topN, Boolean.TRUE.equals(bool(p, "decoder_input_details", at)));
    }

    /**
     * TGI / LMI fields this server reads but implements only at their neutral value: best_of 1, watermark false,
     * typical_p 1. Another value is a 400 saying so.
     */
    private static void refuseUnsupported(JsonObject p, String at) throws InvalidRequestException {
        Integer bestOf = integer(p, "best_of", at);
        if (bestOf != null && bestOf != 1) {
            throw new InvalidRequestException(at + "best_of: only 1 is supported (one sequence per request), got " + bestOf);
        }
        if (Boolean.TRUE.equals(bool(p, "watermark", at))) {
            throw new InvalidRequestException(at + "watermark: watermarking is not supported; false is accepted");
        }
        Double typical = number(p, "typical_p", at);
        if (typical != null && typical != 1.0) {
            throw new InvalidRequestException(at + "typical_p: typical sampling is not supported; 1.0 (off) is accepted, got "
                    + typical);
        }
    }

    /** stop_sequences, or TGI's name for them, stop: a list of strings (not both). */
    private static List<String> stops(JsonObject p, String at) throws InvalidRequestException {
        boolean tgi = p.has("stop") && !p.get("stop").isJsonNull();
        if (tgi && p.has("stop_sequences") && !p.get("stop_sequences").isJsonNull()) {
            throw new InvalidRequestException(at + "stop and " + at + "stop_sequences name the same list: give one");
        }
        String name = tgi ? "stop" : "stop_sequences";
        JsonElement e = p.get(name);
        if (e == null || e.isJsonNull()) {
            return List.of();
        }
        if (!e.isJsonArray()) {
            throw new InvalidRequestException(at + name + " must be a list of strings, got " + StrictJson.brief(e));
        }
        List<String> out = new ArrayList<>();
        JsonArray a = e.getAsJsonArray();
        for (int i = 0; i < a.size(); i++) {
            if (!StrictJson.isString(a.get(i))) {
                throw new InvalidRequestException(at + name + "[" + i + "] must be a string, got " + StrictJson.brief(a.get(i)));
            }
            out.add(a.get(i).getAsString());
        }
        return nonEmpty(out, at + name);
    }

    private static List<String> nonEmpty(List<String> stops, String field) throws InvalidRequestException {
        for (int i = 0; i < stops.size(); i++) {
            if (stops.get(i).isEmpty()) {
                throw new InvalidRequestException(field + "[" + i + "] must not be empty");
            }
        }
        return stops;
    }

    private static void rejectUnknown(JsonObject o, Set<String> known, String at) throws InvalidRequestException {
        for (String key : o.keySet()) {
            if (!known.contains(key)) {
                throw new InvalidRequestException("unknown field '" + at + key + "' (supported: "
                        + String.join(", ", new java.util.TreeSet<>(known)) + ")");
            }
        }
    }

    private static Integer integer(JsonObject o, String key, String at) throws InvalidRequestException {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        long v = integral(e, at + key);
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw new InvalidRequestException(at + key + " is out of range: " + v);
        }
        return (int) v;
    }

    private static long integral(JsonElement e, String field) throws InvalidRequestException {
        if (!(e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber())) {
            throw new InvalidRequestException(field + " must be an integer, got " + StrictJson.brief(e));
        }
        try {
            return e.getAsBigDecimal().longValueExact();
        } catch (ArithmeticException | NumberFormatException ex) {
            throw new InvalidRequestException(field + " must be an integer, got " + StrictJson.brief(e), ex);
        }
    }

    private static Double number(JsonObject o, String key, String at) throws InvalidRequestException {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!(e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber())) {
            throw new InvalidRequestException(at + key + " must be a number, got " + StrictJson.brief(e));
        }
        double v;
        try {
            v = e.getAsDouble();
        } catch (NumberFormatException ex) {
            throw new InvalidRequestException(at + key + " must be a number, got " + StrictJson.brief(e), ex);
        }
        if (!Double.isFinite(v)) {
            throw new InvalidRequestException(at + key + " must be finite, got " + StrictJson.brief(e));
        }
        return v;
    }

    private static Boolean bool(JsonObject o, String key, String at) throws InvalidRequestException {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!(e.isJsonPrimitive() && e.getAsJsonPrimitive().isBoolean())) {
            throw new InvalidRequestException(at + key + " must be true or false, got " + StrictJson.brief(e));
        }
        return e.getAsBoolean();
    }

    private static String string(JsonObject o, String key, String at) throws InvalidRequestException {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return null;
        }
        if (!StrictJson.isString(e)) {
            throw new InvalidRequestException(at + key + " must be a string, got " + StrictJson.brief(e));
        }
        return e.getAsString();
    }

}
