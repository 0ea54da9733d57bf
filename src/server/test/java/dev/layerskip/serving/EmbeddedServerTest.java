package dev.layerskip.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.ZooModel;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.layerskip.djl.DjlTestSupport;
import dev.layerskip.djl.GenerationService;
import dev.layerskip.djl.LayerSkipCriteria;
import dev.layerskip.djl.LayerSkipServingTranslator;
import dev.layerskip.generate.FinishReason;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/** The embedded server over real HTTP: endpoints, JSON, streaming, limits, disconnects, shutdown. */
class EmbeddedServerTest {

    private static ZooModel<Input, Output> model;
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void load() throws Exception {
        model = LayerSkipCriteria.builder(Input.class, Output.class).optModelPath(DjlTestSupport.DEMO).build().loadModel();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static EmbeddedServer start(int workers, int queue, int maxBytes) throws IOException {
        return start(workers, queue, maxBytes, Duration.ofSeconds(2));
    }

    private static EmbeddedServer start(int workers, int queue, int maxBytes, Duration grace) throws IOException {
        return EmbeddedServer.start(model, new ServerConfig("127.0.0.1", 0, "demo", workers, queue, maxBytes,
                Duration.ofSeconds(60), grace));
    }

    private static HttpResponse<String> post(EmbeddedServer s, String path, String body) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(s.uri().resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonObject json(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    @Test
    void servesDjlServingsEndpointsAndJson() throws Exception {
        String reference = DjlTestSupport.greedyReference(DjlTestSupport.DEMO, "def ", 12, 0).text();
        try (EmbeddedServer s = start(2, 4, 1 << 20)) {
            HttpResponse<String> ping = CLIENT.send(HttpRequest.newBuilder(s.uri().resolve("ping")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ping.statusCode());
            assertEquals("Healthy", json(ping).get("status").getAsString());
            String body = "{\"inputs\": \"def \", \"parameters\": {\"max_new_tokens\": 12}}";
            for (String path : List.of("invocations", "predictions/demo")) {
                HttpResponse<String> r = post(s, path, body);
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
                assertEquals(reference, json(r).get("generated_text").getAsString());
            }
            assertEquals(404, post(s, "predictions/other", body).statusCode());
            assertEquals(404, post(s, "nothing", body).statusCode());
            HttpResponse<String> get = CLIENT.send(HttpRequest.newBuilder(s.uri().resolve("invocations")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(405, get.statusCode());
            HttpResponse<String> bad = post(s, "invocations", "{\"inputs\": \"def \", \"parameters\": {\"top_p\": 2}}");
            assertEquals(400, bad.statusCode());
            assertTrue(json(bad).get("error").getAsString().contains("parameters.top_p"));
            assertEquals(400, json(bad).get("code").getAsInt());
        }
    }

    @Test
    void streamsJsonLinesOverChunkedHttp() throws Exception {
        try (EmbeddedServer s = start(1, 2, 1 << 20)) {
            String body = "{\"inputs\": \"import \", \"parameters\": {\"max_new_tokens\": 10}}";
            String whole = json(post(s, "invocations", body)).get("generated_text").getAsString();
            HttpResponse<java.util.stream.Stream<String>> r = CLIENT.send(
                    HttpRequest.newBuilder(s.uri().resolve("invocations"))
                            .POST(HttpRequest.BodyPublishers.ofString(body.replace("}}", "}, \"stream\": true}"))).build(),
                    HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, r.statusCode());
            assertEquals("application/jsonlines", r.headers().firstValue("Content-Type").orElse(""));
            List<JsonObject> lines = r.body().map(l -> JsonParser.parseString(l).getAsJsonObject()).toList();
            assertEquals(10, lines.size());
            StringBuilder joined = new StringBuilder();
            lines.forEach(l -> joined.append(l.getAsJsonObject("token").get("text").getAsString()));
            assertEquals(whole, joined.toString());
            assertEquals(whole, lines.get(9).get("generated_text").getAsString());
        }
    }

    @Test
    void limitsQueueAndBodySizeAndFreesADisconnectedStream() throws Exception {
        GenerationService service = ((LayerSkipServingTranslator) model.getTranslator()).service();
        long cancelledBefore = service.finishedGenerations(FinishReason.CANCELLED);
        try (EmbeddedServer s = start(1, 0, 256)) {
            HttpResponse<String> big = post(s, "invocations", "{\"inputs\": \"" + "a".repeat(300) + "\"}");
            assertEquals(413, big.statusCode());
            assertTrue(json(big).get("error").getAsString().contains("256"));
            // one long stream occupies the only slot
            try (Socket socket = new Socket("127.0.0.1", s.port())) {
                String body = "{\"inputs\": \"def \", \"parameters\": {\"max_new_tokens\": 1000}, \"stream\": true}";
                OutputStream out = socket.getOutputStream();
                out.write(("POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.UTF_8));
                out.flush();
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                assertTrue(in.readLine().startsWith("HTTP/1.1 200"));
                String line;
                while ((line = in.readLine()) != null && !line.contains("\"token\"")) {
                    // headers and the first chunk size
                }
                assertTrue(line != null, "a first token arrives");
                HttpResponse<String> busy = post(s, "invocations", "{\"inputs\": \"def \"}");
                assertEquals(503, busy.statusCode());
                assertEquals(503, json(busy).get("code").getAsInt());
            } // the client disconnects mid-stream
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (service.finishedGenerations(FinishReason.CANCELLED) == cancelledBefore && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(cancelledBefore + 1, service.finishedGenerations(FinishReason.CANCELLED),
                    "the disconnected stream's generation was cancelled");
            // the slot is free again
            HttpResponse<String> ok = null;
            for (int i = 0; i < 50 && (ok == null || ok.statusCode() == 503); i++) {
                Thread.sleep(20);
                ok = post(s, "invocations", "{\"inputs\": \"def \", \"parameters\": {\"max_new_tokens\": 2}}");
            }
            assertEquals(200, ok.statusCode());
        }
    }

    @ParameterizedTest(name = "closed from an interrupted thread: {0}")
    @ValueSource(booleans = {false, true})
    void closeLetsARunningRequestFinish(boolean interrupted) throws Exception {
        GenerationService service = ((LayerSkipServingTranslator) model.getTranslator()).service();
        long cancelledBefore = service.finishedGenerations(FinishReason.CANCELLED);
        EmbeddedServer s = start(1, 1, 1024, Duration.ofSeconds(30));
        java.util.concurrent.CompletableFuture<HttpResponse<String>> running = CLIENT.sendAsync(
                HttpRequest.newBuilder(s.uri().resolve("invocations")).POST(HttpRequest.BodyPublishers.ofString(
                        "{\"inputs\": \"def \", \"parameters\": {\"max_new_tokens\": 400, \"strategy\": \"autoregressive\"}}"))
                        .build(), HttpResponse.BodyHandlers.ofString());
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (service.activeGenerations() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        assertEquals(1, service.activeGenerations(), "the request is generating");
        long closing = System.nanoTime();
        if (interrupted) {
            Thread.currentThread().interrupt(); // as `serve` is stopped by an embedding application
        }
        s.close(); // waits for the running request (grace 30 s)
        assertEquals(interrupted, Thread.interrupted(), "close() keeps the caller's interrupt status");
        System.out.printf("close() waited %.2f s for the running request%n", (System.nanoTime() - closing) / 1e9);
        assertEquals(0, service.activeGenerations(), "close() returned after the generation ended");
        assertEquals(cancelledBefore, service.finishedGenerations(FinishReason.CANCELLED), "nothing was cut short");
        HttpResponse<String> r = running.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(!JsonParser.parseString(r.body()).getAsJsonObject().get("generated_text").getAsString().isEmpty());
    }

    @Test
    void closeStopsTheServer() throws Exception {
        EmbeddedServer s = start(1, 1, 1024);
        URI ping = s.uri().resolve("ping");
        assertEquals(200, CLIENT.send(HttpRequest.newBuilder(ping).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
        s.close();
        IOException e = assertThrows(IOException.class, () -> CLIENT.send(HttpRequest.newBuilder(ping)
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()));
        assertFalse(e instanceof java.net.http.HttpTimeoutException, "a connection outlived close(): " + e);
    }
}
