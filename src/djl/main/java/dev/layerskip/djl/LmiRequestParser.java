package dev.layerskip.djl;

import static dev.layerskip.json.JsonFields.bool;
import static dev.layerskip.json.JsonFields.integer;
import static dev.layerskip.json.JsonFields.integral;
import static dev.layerskip.json.JsonFields.number;
import static dev.layerskip.json.JsonFields.string;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import dev.layerskip.generate.DecodingStrategy;
import dev.layerskip.generate.GenerationRequest;
import dev.layerskip.generate.LogprobOptions;
import dev.layerskip.generate.RequestFieldException;
import dev.layerskip.json.JsonFieldException;
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
        try {
            return request(root);
        } catch (JsonFieldException e) { // a field of the wrong type
            throw new InvalidRequestException(e.getMessage(), e);
        }
    }

    private static LmiRequest request(JsonElement root) throws InvalidRequestException {
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
        refuseUnsupported(p, at);
        boolean tgiStop = p.has("stop") && !p.get("stop").isJsonNull();
        GenerationRequest generation;
        try { // the ranges are the core request's, checked there once
            generation = GenerationRequest.builder()
                    .optMaxNewTokens(integer(p, "max_new_tokens", at)).optDoSample(bool(p, "do_sample", at))
                    .optTemperature(number(p, "temperature", at)).optTopK(integer(p, "top_k", at))
                    .optTopP(number(p, "top_p", at)).optSeed(seed(p, at)).optStopSequences(stops(p, at))
                    .optStrategy(strategy(p, at)).optExitLayer(integer(p, "exit_layer", at))
                    .optNumSpeculations(integer(p, "num_speculations", at)).optDraftConfidence(draftConfidence(p, at))
                    .optRepetitionPenalty(number(p, "repetition_penalty", at))
                    .optNoRepeatNgramSize(integer(p, "no_repeat_ngram_size", at))
                    .optIgnoreEos(Boolean.TRUE.equals(bool(p, "ignore_eos", at))).optTruncate(integer(p, "truncate", at))
                    .build();
        } catch (RequestFieldException e) {
            String field = tgiStop ? e.field().replace("stop_sequences", "stop") : e.field();
            throw new InvalidRequestException(at + field + " " + e.problem(), e);
        }
        Integer topN = integer(p, "top_n_tokens", at);
        if (topN != null && (topN < 0 || topN > LogprobOptions.MAX_TOP)) {
            throw new InvalidRequestException(at + "top_n_tokens must be in 0.." + LogprobOptions.MAX_TOP + ", got " + topN);
        }
        return new LmiParameters(generation, Boolean.TRUE.equals(bool(p, "details", at)),
                Boolean.TRUE.equals(bool(p, "return_full_text", at)), topN == null ? 0 : topN,
                Boolean.TRUE.equals(bool(p, "decoder_input_details", at)));
    }

    private static Long seed(JsonObject p, String at) throws InvalidRequestException {
        JsonElement s = p.get("seed");
        return s == null || s.isJsonNull() ? null : integral(s, at + "seed");
    }

    private static DecodingStrategy strategy(JsonObject p, String at) throws InvalidRequestException {
        String strategy = string(p, "strategy", at);
        try {
            return strategy == null ? null : DecodingStrategy.fromName(strategy);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(at + "strategy: " + e.getMessage(), e);
        }
    }

    /** draft_confidence: "auto" or a number (its range is the core request's). */
    private static String draftConfidence(JsonObject p, String at) throws InvalidRequestException {
        JsonElement c = p.get("draft_confidence");
        if (c == null || c.isJsonNull()) {
            return null;
        }
        if (StrictJson.isString(c) && c.getAsString().equalsIgnoreCase("auto")) {
            return "auto";
        }
        return number(p, "draft_confidence", at).toString();
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
        return out;
    }

    private static void rejectUnknown(JsonObject o, Set<String> known, String at) throws InvalidRequestException {
        for (String key : o.keySet()) {
            if (!known.contains(key)) {
                throw new InvalidRequestException("unknown field '" + at + key + "' (supported: "
                        + String.join(", ", new java.util.TreeSet<>(known)) + ")");
            }
        }
    }
}
