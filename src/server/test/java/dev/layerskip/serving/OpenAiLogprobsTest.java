package dev.layerskip.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.layerskip.djl.DjlTestSupport;
import dev.layerskip.eval.LayerPerplexity;
import dev.layerskip.eval.PerLayerEvaluator;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Log-probabilities, echo and n over real HTTP: a log-likelihood computed over the API equals {@code eval}'s,
 * the served self-speculative values equal autoregressive ones, streamed values and texts equal whole ones,
 * and n choices come back indexed with their usage.
 */
class OpenAiLogprobsTest {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        OpenAiClientsTest.start();
    }

    @AfterAll
    static void stop() {
        OpenAiClientsTest.stop();
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(OpenAiClientsTest.server.uri().resolve(path))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject whole(String path, String body) throws Exception {
        HttpResponse<String> r = post(path, body);
        assertEquals(200, r.statusCode(), r.body());
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    /** The data events of a stream, [DONE] excluded. */
    private static List<JsonObject> events(String path, String body) throws Exception {
        HttpResponse<String> r = post(path, body);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
        List<JsonObject> out = new ArrayList<>();
        for (String block : r.body().split("\n\n")) {
            if (!block.equals("data: [DONE]")) {
                out.add(JsonParser.parseString(block.substring("data: ".length())).getAsJsonObject());
            }
        }
        return out;
    }

    private static JsonObject choice(JsonObject o, int i) {
        return o.getAsJsonArray("choices").get(i).getAsJsonObject();
    }

    @Test
    void echoAndLogprobsGiveEvalsLogLikelihood() throws Exception {
        String text = "def read_lines(path):\n    with open(path) as f:\n        return f.readlines()\n";
        JsonObject body = new JsonObject();
        body.addProperty("prompt", text);
        body.addProperty("echo", true);
        body.addProperty("logprobs", 2);
        body.addProperty("max_tokens", 1);
        body.addProperty("temperature", 0);
        JsonObject r = whole("v1/completions", body.toString());
        JsonObject c = choice(r, 0);
        assertTrue(c.get("text").getAsString().startsWith(text), "echo returns the prompt first");
        JsonObject lp = c.getAsJsonObject("logprobs");
        try (LoadedModel demo = LoadedModel.load(DjlTestSupport.DEMO, LoadOptions.CPU_FLOAT32)) {
            int[] ids = demo.tokenizer().encode(text);
            JsonArray values = lp.getAsJsonArray("token_logprobs");
            assertEquals(ids.length + 1, values.size(), "the prompt's tokens, then the generated one");
            assertTrue(values.get(0).isJsonNull() && lp.getAsJsonArray("top_logprobs").get(0).isJsonNull());
            double sum = 0;
            for (int i = 1; i < ids.length; i++) {
                sum += values.get(i).getAsDouble();
                int alternatives = lp.getAsJsonArray("top_logprobs").get(i).getAsJsonObject().size();
                assertTrue(alternatives >= 1 && alternatives <= 2, "two alternatives (fewer when their texts coincide)");
            }
            LayerPerplexity full = new PerLayerEvaluator(demo.model(), ids.length).evaluate(ids).get(demo.model().numLayers() - 1);
            assertEquals(-full.nll() * full.tokens(), sum, 1e-3, "log-likelihood over the API = eval's");
        }
        JsonArray offsets = lp.getAsJsonArray("text_offset");
        assertEquals(0, offsets.get(0).getAsInt());
        for (int i = 1; i < offsets.size(); i++) {
            assertTrue(offsets.get(i).getAsInt() >= offsets.get(i - 1).getAsInt());
        }
    }

    private static double[] chatLogprobs(JsonArray content) {
        double[] out = new double[content.size()];
        for (int i = 0; i < out.length; i++) {
            JsonObject entry = content.get(i).getAsJsonObject();
            out[i] = entry.get("logprob").getAsDouble();
            JsonArray top = entry.getAsJsonArray("top_logprobs");
            assertEquals(3, top.size());
            assertEquals(top.get(0).getAsJsonObject().get("logprob").getAsDouble(), out[i], 0.0, "greedy: the most likely");
            assertTrue(entry.getAsJsonArray("bytes").size() == entry.get("token").getAsString()
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        }
        return out;
    }

    @Test
    void chatLogprobsAreTheFullModelsStreamedOrNot() throws Exception {
        String messages = "\"messages\": [{\"role\": \"user\", \"content\": \"Write a function that reads a file.\"}]";
        String ask = "{" + messages + ", \"max_tokens\": 16, \"logprobs\": true, \"top_logprobs\": 3";
        JsonObject speculative = whole("v1/chat/completions", ask + "}"); // the demo's default: self-speculative
        JsonObject ar = whole("v1/chat/completions", ask + ", \"strategy\": \"autoregressive\"}");
        double[] s = chatLogprobs(choice(speculative, 0).getAsJsonObject("logprobs").getAsJsonArray("content"));
        double[] a = chatLogprobs(choice(ar, 0).getAsJsonObject("logprobs").getAsJsonArray("content"));
        assertEquals(speculative.getAsJsonObject("usage").get("completion_tokens").getAsInt(), s.length);
        assertEquals(a.length, s.length);
        for (int i = 0; i < s.length; i++) {
            assertEquals(a[i], s[i], 1e-4, "token " + i + ": the verifier's values are autoregressive decoding's");
        }
        JsonArray streamed = new JsonArray();
        StringBuilder text = new StringBuilder();
        for (JsonObject event : events("v1/chat/completions", ask + ", \"stream\": true}")) {
            JsonObject c = choice(event, 0);
            JsonElement delta = c.getAsJsonObject("delta").get("content");
            text.append(delta == null ? "" : delta.getAsString());
            if (c.get("logprobs").isJsonObject()) {
                streamed.addAll(c.getAsJsonObject("logprobs").getAsJsonArray("content"));
            }
        }
        assertEquals(choice(speculative, 0).getAsJsonObject("message").get("content").getAsString(), text.toString());
        double[] st = chatLogprobs(streamed);
        assertEquals(s.length, st.length);
        for (int i = 0; i < s.length; i++) {
            assertEquals(s[i], st[i], 1e-4); // the schedule (pipeline, rounds, batch shape) may differ between runs
        }
    }

    @Test
    void nChoicesComeBackIndexedStreamedOrNot() throws Exception {
        JsonObject greedy = whole("v1/completions", "{\"prompt\": \"import os\\n\", \"max_tokens\": 12, \"n\": 2, \"temperature\": 0}");
        assertEquals(2, greedy.getAsJsonArray("choices").size());
        assertEquals(0, choice(greedy, 0).get("index").getAsInt());
        assertEquals(1, choice(greedy, 1).get("index").getAsInt());
        assertEquals(choice(greedy, 0).get("text"), choice(greedy, 1).get("text"), "greedy choices are the same");
        assertEquals(24, greedy.getAsJsonObject("usage").get("completion_tokens").getAsInt());
        String sampled = "{\"prompt\": \"import os\\n\", \"max_tokens\": 12, \"n\": 3, \"temperature\": 0.9, \"seed\": 7";
        JsonObject whole = whole("v1/completions", sampled + "}");
        JsonObject single = whole("v1/completions", sampled.replace("\"n\": 3", "\"n\": 1") + "}");
        assertEquals(choice(single, 0).get("text"), choice(whole, 0).get("text"), "choice 0 draws with the seed itself");
        Map<Integer, StringBuilder> texts = new TreeMap<>();
        for (JsonObject event : events("v1/completions", sampled + ", \"stream\": true}")) {
            for (JsonElement c : event.getAsJsonArray("choices")) {
                JsonObject o = c.getAsJsonObject();
                texts.computeIfAbsent(o.get("index").getAsInt(), k -> new StringBuilder()).append(o.get("text").getAsString());
            }
        }
        assertEquals(3, texts.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(choice(whole, i).get("text").getAsString(), texts.get(i).toString(), "choice " + i);
        }
    }
}
