package dev.layerskip.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.ZooModel;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.layerskip.djl.DjlTestSupport;
import dev.layerskip.djl.LayerSkipCriteria;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.RepetitionControl;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

/** The OpenAI wire format over raw HTTP where the clients do not look: SSE framing, error shapes, limits. */
class OpenAiProtocolTest {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static ZooModel<Input, Output> plainModel;
    private static EmbeddedServer plainServer;

    @BeforeAll
    static void start() throws Exception {
        OpenAiClientsTest.start();
        plainModel = LayerSkipCriteria.builder(Input.class, Output.class).optModelPath(DjlTestSupport.DEMO).build().loadModel();
        plainServer = EmbeddedServer.start(plainModel, OpenAiClientsTest.config());
    }

    @AfterAll
    static void stop() {
        plainServer.close();
        plainModel.close();
        OpenAiClientsTest.stop();
    }

    private static HttpResponse<String> post(EmbeddedServer s, String path, byte[] body) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(s.uri().resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return post(OpenAiClientsTest.server, path, body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static JsonObject error(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        JsonObject e = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("error");
        assertEquals(4, e.size(), "message, type, param, code: " + e);
        return e;
    }

    @Test
    void modelsListsTheServedModel() throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(OpenAiClientsTest.server.uri().resolve("v1/models"))
                .build(), HttpResponse.BodyHandlers.ofString());
        JsonObject o = JsonParser.parseString(r.body()).getAsJsonObject();
        assertEquals("list", o.get("object").getAsString());
        assertEquals("demo", o.getAsJsonArray("data").get(0).getAsJsonObject().get("id").getAsString());
        assertEquals("model", o.getAsJsonArray("data").get(0).getAsJsonObject().get("object").getAsString());
        // GET /v1/models/{id} (what client.models.retrieve sends): the served model, or OpenAI's 404
        HttpResponse<String> one = CLIENT.send(HttpRequest.newBuilder(OpenAiClientsTest.server.uri().resolve("v1/models/demo"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, one.statusCode(), one.body());
        JsonObject m = JsonParser.parseString(one.body()).getAsJsonObject();
        assertEquals("demo", m.get("id").getAsString());
        assertEquals("model", m.get("object").getAsString());
        assertEquals(o.getAsJsonArray("data").get(0), m);
        for (String missing : new String[] {"gpt-4o", "demo%2Fx", "dem%6F2"}) {
            HttpResponse<String> r404 = CLIENT.send(HttpRequest.newBuilder(OpenAiClientsTest.server.uri().resolve("v1/models/"
                    + missing)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, r404.statusCode(), r404.body());
            JsonObject e = JsonParser.parseString(r404.body()).getAsJsonObject().getAsJsonObject("error");
            assertEquals("model_not_found", e.get("code").getAsString(), missing);
            assertEquals("model", e.get("param").getAsString());
            assertTrue(e.get("message").getAsString().contains("this server serves 'demo'"), e.toString());
        }
        HttpResponse<String> post = CLIENT.send(HttpRequest.newBuilder(OpenAiClientsTest.server.uri().resolve("v1/models/demo"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode(), post.body());
    }

    @Test
    void streamedCompletionIsServerSentEventsEndingWithDoneAndUsage() throws Exception {
        String prompt = "def read_lines(path):\n";
        GenerationResult reference = DjlTestSupport.greedyReference(DjlTestSupport.DEMO, prompt, 8, 0);
        HttpResponse<String> r = post("v1/completions", "{\"model\": \"demo\", \"prompt\": \"def read_lines(path):\\n\", "
                + "\"max_tokens\": 8, \"temperature\": 0, \"stream\": true, \"stream_options\": {\"include_usage\": true}}");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        assertTrue(r.body().endsWith("\n\ndata: [DONE]\n\n"), r.body());
        List<JsonObject> events = new ArrayList<>();
        for (String block : r.body().split("\n\n")) {
            assertTrue(block.startsWith("data: "), block);
            if (!block.equals("data: [DONE]")) {
                events.add(JsonParser.parseString(block.substring(6)).getAsJsonObject());
            }
        }
        StringBuilder text = new StringBuilder();
        for (JsonObject e : events.subList(0, events.size() - 1)) {
            assertEquals("text_completion", e.get("object").getAsString());
            text.append(e.getAsJsonArray("choices").get(0).getAsJsonObject().get("text").getAsString());
        }
        assertEquals(reference.text(), text.toString());
        JsonObject finish = events.get(events.size() - 2).getAsJsonArray("choices").get(0).getAsJsonObject();
        assertEquals("length", finish.get("finish_reason").getAsString());
        JsonObject usage = events.get(events.size() - 1).getAsJsonObject("usage");
        assertEquals(0, events.get(events.size() - 1).getAsJsonArray("choices").size());
        assertEquals(reference.promptIds().length, usage.get("prompt_tokens").getAsInt());
        assertEquals(8, usage.get("completion_tokens").getAsInt());
        assertEquals(reference.promptIds().length + 8, usage.get("total_tokens").getAsInt());
    }

    @Test
    void layerSkipExtrasSelectTheStrategy() throws Exception {
        HttpResponse<String> r = post("v1/completions", "{\"prompt\": \"def \", \"max_tokens\": 4, \"strategy\": "
                + "\"early-exit\", \"exit_layer\": 2}");
        String expected = DjlTestSupport.greedyReference(DjlTestSupport.DEMO, "def ", 4, 2).text();
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(expected, JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonArray("choices").get(0)
                .getAsJsonObject().get("text").getAsString());
        JsonObject e = error(post("v1/completions", "{\"prompt\": \"def \", \"exit_layer\": 99}"), 400);
        assertTrue(e.get("message").getAsString().contains("exit layer 99"), e.toString());
    }

    @Test
    void completionBudgetsBeyondTheContextOrTheCapAreRefusedByTheFieldTheClientSent() throws Exception {
        // the demo's context is 1,024 tokens: a prompt of a few tokens plus 1,024 more does not fit (no silent clamp)
        JsonObject e = error(post("v1/completions", "{\"prompt\": \"def \", \"max_tokens\": 1024}"), 400);
        assertEquals("context_length_exceeded", e.get("code").getAsString());
        assertEquals("max_tokens", e.get("param").getAsString());
        assertTrue(e.get("message").getAsString().startsWith("this model's maximum context length is 1024 tokens"), e.toString());
        assertTrue(e.get("message").getAsString().contains("in the prompt, 1024 in 'max_tokens'"), e.toString());
        e = error(post("v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"max_completion_tokens\": 1100}"), 400);
        assertEquals("max_completion_tokens", e.get("param").getAsString());
        assertTrue(e.get("message").getAsString().contains("in the messages, 1100 in 'max_completion_tokens'"), e.toString());
        // beyond the server's max_new_tokens_cap (4096 by default): named as sent, not as the LMI parameter
        e = error(post("v1/completions", "{\"prompt\": \"def \", \"max_tokens\": 5000}"), 400);
        assertEquals("max_tokens", e.get("param").getAsString());
        assertEquals("'max_tokens' is 5000 but this server allows at most 4096 (its max_new_tokens_cap)",
                e.get("message").getAsString());
    }

    @Test
    void presenceAndFrequencyPenaltiesApplyOnTopOfTheCheckpointsRepetitionControl() throws Exception {
        String prompt = "class Stack:\n    def __init__(self):\n";
        HttpResponse<String> r = post("v1/completions", "{\"prompt\": \"class Stack:\\n    def __init__(self):\\n\", "
                + "\"max_tokens\": 24, \"presence_penalty\": 1.5, \"frequency_penalty\": 0.5}");
        assertEquals(200, r.statusCode(), r.body());
        String text = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonArray("choices").get(0)
                .getAsJsonObject().get("text").getAsString();
        // the demo's generation_config.json: no_repeat_ngram_size 4; OpenAI's penalties count generated tokens only
        RepetitionControl penalised = RepetitionControl.of(1.0, 4).withOpenAiPenalties(1.5, 0.5);
        assertEquals(DjlTestSupport.greedyReference(DjlTestSupport.DEMO, prompt, 24, 0, penalised).text(), text);
        assertNotEquals(DjlTestSupport.greedyReference(DjlTestSupport.DEMO, prompt, 24, 0).text(), text);
        JsonObject e = error(post("v1/completions", "{\"prompt\": \"a\", \"presence_penalty\": 2.5}"), 400);
        assertEquals("presence_penalty", e.get("param").getAsString());
        assertEquals("'presence_penalty' must be in [-2, 2], got 2.5", e.get("message").getAsString());
        e = error(post("v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], "
                + "\"frequency_penalty\": -3}"), 400);
        assertEquals("frequency_penalty", e.get("param").getAsString());
    }

    @Test
    void unsupportedSettingsAreOpenAiErrorsNamingTheParameter() throws Exception {
        JsonObject e = error(post("v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}], \"n\": 9}"), 400);
        assertEquals("'n' must be in 1..8 on this server, got 9", e.get("message").getAsString());
        assertEquals("invalid_request_error", e.get("type").getAsString());
        assertEquals("n", e.get("param").getAsString());
        assertEquals("unsupported_parameter", e.get("code").getAsString());
        e = error(post("v1/chat/completions", "{\"messages\": [], \"temperature\": 1}"), 400);
        assertEquals("messages", e.get("param").getAsString());
        e = error(post("v1/completions", "{\"prompt\": \"a\", \"temperature\": 3}"), 400);
        assertEquals("'temperature' must be in [0, 2], got 3.0", e.get("message").getAsString());
        e = error(post("v1/completions", "{\"prompt\": \"a\", \"best_of\": 1, \"colour\": 1}"), 400);
        assertEquals("colour", e.get("param").getAsString());
        e = error(post("v1/completions", "{\"prompt\": \"a\",}"), 400);
        assertTrue(e.get("message").getAsString().startsWith("the request body is not valid JSON"), e.toString());
        e = error(CLIENT.send(HttpRequest.newBuilder(OpenAiClientsTest.server.uri().resolve("v1/chat/completions")).build(),
                HttpResponse.BodyHandlers.ofString()), 405);
        assertEquals("use POST for /v1/chat/completions", e.get("message").getAsString());
    }

    @Test
    void bodiesThatAreNotUtf8Are400OnBothProtocols() throws Exception {
        byte[] bad = "{\"prompt\": \"caf\u00e9\"}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1); // é as one byte
        JsonObject e = error(post(OpenAiClientsTest.server, "v1/completions", bad), 400);
        assertEquals("the request body is not valid UTF-8 (byte offset 15)", e.get("message").getAsString());
        byte[] lmi = "{\"inputs\": \"caf\u00e9\"}".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        HttpResponse<String> r = post(OpenAiClientsTest.server, "invocations", lmi);
        assertEquals(400, r.statusCode());
        assertEquals("the request body is not valid UTF-8 (byte offset 15)",
                JsonParser.parseString(r.body()).getAsJsonObject().get("error").getAsString());
    }

    @Test
    void chatWithoutAnyTemplateIsAClear400() throws Exception {
        JsonObject e = error(post(plainServer, "v1/chat/completions",
                "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}".getBytes(java.nio.charset.StandardCharsets.UTF_8)), 400);
        assertTrue(e.get("message").getAsString().startsWith("this model has no chat template"), e.toString());
        assertEquals("messages", e.get("param").getAsString());
    }
}
