package dev.layerskip.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.ZooModel;

import dev.layerskip.djl.DjlTestSupport;
import dev.layerskip.djl.GenerationService;
import dev.layerskip.djl.LayerSkipCriteria;
import dev.layerskip.djl.LayerSkipServingTranslator;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code max_batch_size} over real HTTP: concurrent LMI requests, streaming and not, of
 * different strategies, answered with exactly the text a server that decodes each request alone gives,
 * with an explicit batch size and with the defaults (which batch).
 */
class BatchedServingTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private static final String[] BODIES = {
        "{\"inputs\": \"def read_lines(path):\", \"parameters\": {\"max_new_tokens\": 24}}",
        "{\"inputs\": \"import os\\n\", \"parameters\": {\"max_new_tokens\": 17, \"strategy\": \"autoregressive\"}}",
        "{\"inputs\": \"class A:\", \"parameters\": {\"max_new_tokens\": 30, \"strategy\": \"early-exit\", \"exit_layer\": 4}}",
        "{\"inputs\": \"for i in\", \"parameters\": {\"max_new_tokens\": 20, \"do_sample\": true, \"seed\": 7, \"temperature\": 0.8}}",
        "{\"inputs\": \"x = [\", \"parameters\": {\"max_new_tokens\": 12, \"num_speculations\": 4}}",
        "{\"inputs\": \"def main(\", \"parameters\": {\"max_new_tokens\": 26, \"repetition_penalty\": 1.3}}",
        "{\"inputs\": \"while True:\", \"stream\": true, \"parameters\": {\"max_new_tokens\": 22}}",
        "{\"inputs\": \"try:\", \"stream\": true, \"parameters\": {\"max_new_tokens\": 15, \"strategy\": \"autoregressive\"}}",
    };

    private static GenerationService service(ZooModel<Input, Output> model) {
        return ((LayerSkipServingTranslator) model.getTranslator()).service();
    }

    private static List<String> answers(ZooModel<Input, Output> model, int workers) throws Exception {
        return answers(model, workers, BODIES);
    }

    private static List<String> answers(ZooModel<Input, Output> model, int workers, String... bodies) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(bodies.length);
        try (EmbeddedServer s = EmbeddedServer.start(model, new ServerConfig("127.0.0.1", 0, "demo", workers, 16, 1 << 16,
                Duration.ofSeconds(60), Duration.ofSeconds(2)))) {
            List<Future<String>> futures = new ArrayList<>();
            for (String body : bodies) {
                futures.add(clients.submit(() -> {
                    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(s.uri().resolve("invocations"))
                            .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, r.statusCode(), r.body());
                    String[] lines = r.body().strip().split("\n"); // one JSON object, or JSON lines when streaming
                    JsonObject o = JsonParser.parseString(lines[lines.length - 1]).getAsJsonObject();
                    return o.get("generated_text").getAsString();
                }));
            }
            List<String> out = new ArrayList<>();
            for (Future<String> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void concurrentRequestsGetTheTextOfRequestsDecodedAlone() throws Exception {
        List<String> alone;
        try (ZooModel<Input, Output> model = LayerSkipCriteria.builder(Input.class, Output.class)
                .optModelPath(DjlTestSupport.DEMO).optArgument("max_batch_size", 1).build().loadModel()) {
            assertTrue(service(model).scheduler().isEmpty(), "max_batch_size 1 decodes each request alone");
            alone = answers(model, 1);
        }
        try (ZooModel<Input, Output> model = LayerSkipCriteria.builder(Input.class, Output.class)
                .optModelPath(DjlTestSupport.DEMO).optArgument("max_batch_size", 4).build().loadModel()) {
            List<String> batched = answers(model, BODIES.length);
            assertEquals(alone, batched);
            assertTrue(alone.stream().allMatch(t -> !t.isEmpty()), "every request generated text");
        }
        // the defaults batch (the demo's saved plan is pipelined: pipeline when alone, batch when not)
        try (ZooModel<Input, Output> model = LayerSkipCriteria.builder(Input.class, Output.class)
                .optModelPath(DjlTestSupport.DEMO).build().loadModel()) {
            assertTrue(service(model).scheduler().isPresent(), "the defaults batch");
            assertEquals(alone, answers(model, BODIES.length));
            assertEquals(List.of(alone.get(0)), answers(model, 1, BODIES[0]), "a lone request");
        }
    }
}
