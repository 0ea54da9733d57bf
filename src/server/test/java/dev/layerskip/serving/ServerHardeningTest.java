package dev.layerskip.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.ZooModel;

import dev.layerskip.djl.DjlTestSupport;
import dev.layerskip.djl.GenerationService;
import dev.layerskip.djl.LayerSkipCriteria;
import dev.layerskip.djl.LayerSkipServingTranslator;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.BindException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The embedded server under hostile and careless clients, over raw sockets: generated malformed
 * requests, slow clients, disconnects, shutdown, bind errors. Every answer the server gives is the
 * JSON error shape; no client can hold a thread longer than the read timeout.
 */
class ServerHardeningTest {

    private static ZooModel<Input, Output> model;

    @BeforeAll
    static void load() throws Exception {
        model = LayerSkipCriteria.builder(Input.class, Output.class).optModelPath(DjlTestSupport.DEMO)
                .optArgument("max_new_tokens", 4).optArgument("max_new_tokens_cap", 2000).build().loadModel();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static EmbeddedServer start(int maxConnections, Duration grace) throws IOException {
        return EmbeddedServer.start(model, new ServerConfig("127.0.0.1", 0, "demo", 1, 2, 4096,
                Duration.ofSeconds(60), grace, maxConnections, Duration.ofSeconds(2)));
    }

    private static GenerationService service() {
        return ((LayerSkipServingTranslator) model.getTranslator()).service();
    }

    /** Fixed hostile requests with the answer each must get. */
    @Test
    void everyErrorTheServerAnswersIsJson() throws Exception {
        String big = "{\"inputs\": \"" + "a".repeat(5000) + "\"}";
        Object[][] cases = {
            {"GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404, "no endpoint /nothing"},
            {"DELETE /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405, "use GET, HEAD for /ping, not DELETE"},
            {"POST /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", 405, "use GET, HEAD for /ping"},
            {"GET /invocations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405, "use POST for /invocations"},
            {RawHttp.post("/predictions/other", "{\"inputs\": \"x\"}"), 404, "model 'other' not found"},
            {RawHttp.post("/invocations", "{'inputs': 'x'}"), 400, "malformed JSON at line 1, column 3: not strict JSON"},
            {RawHttp.post("/invocations", "{\"inputs\": \"x\", \"inputs\": \"y\"}"), 400, "duplicate name \\\"inputs\\\""},
            {RawHttp.post("/invocations", "{\"inputs\": \"x\"} trailing"), 400, "text after the JSON value"},
            {RawHttp.post("/invocations", "{\"inputs\": \"x\""), 400, "the text ends before the value is complete"},
            {RawHttp.post("/invocations", big), 413, "exceeds the limit of 4096"},
            {"POST /invocations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + "1000\r\n" + "a".repeat(4096) + "\r\n1\r\nb\r\n0\r\n\r\n", 413, "exceeds the limit of 4096 bytes"},
            {RawHttp.post("/invocations", "{\"inputs\": \"x\", \"parameters\": {\"max_new_tokens\": 100000}}"), 400,
                "parameters.max_new_tokens is 100000 but this server allows at most 2000 (its max_new_tokens_cap)"},
        };
        List<String> failures = new ArrayList<>();
        try (EmbeddedServer s = start(32, Duration.ofSeconds(10))) {
            for (Object[] c : cases) {
                RawHttp.Reply r = RawHttp.send(s.port(), (String) c[0]);
                if (r.status() != (int) c[1] || !r.isJsonError() || !r.body().contains((String) c[2])
                        || r.body().contains("setLenient") || r.body().contains("https://")) {
                    failures.add(((String) c[0]).lines().findFirst().orElse("") + " -> " + r.status() + " " + r.body());
                }
            }
            RawHttp.Reply head = RawHttp.send(s.port(), "HEAD /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertEquals(200, head.status(), head.head());
            assertEquals("", head.body());
            // malformed chunking gets a JSON 400; a well-formed trailer is read, and the body ("abc") is judged
            Object[][] chunked = {
                {"zz\r\nabc\r\n0\r\n\r\n", "malformed chunked body: Invalid character in chunk size"},
                {"3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n", "malformed JSON at line 1, column 1"},
            };
            for (Object[] c : chunked) {
                RawHttp.Reply r = RawHttp.send(s.port(), ("POST /invocations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                        + "Connection: close\r\n\r\n" + c[0]).getBytes(StandardCharsets.UTF_8), 6000);
                assertEquals(400, r.status(), r.head() + r.body());
                assertTrue(r.isJsonError() && r.body().contains((String) c[1]), r.body());
            }
            // oversized headers (one huge header, or too many): a JSON 431, the server stays up
            Object[][] oversized = {
                {"X-Big: " + "a".repeat(1 << 20) + "\r\n", "the request headers exceed 16384 bytes"},
                {"X-Many: 1\r\n".repeat(2000), "the request headers exceed 16384 bytes"},
                {"X-Some: 1\r\n".repeat(100), "the request has 103 header fields; at most 64 are accepted"},
            };
            for (Object[] c : oversized) {
                RawHttp.Reply r = RawHttp.send(s.port(), ("GET /ping HTTP/1.1\r\nHost: x\r\n" + c[0]
                        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8), 6000);
                assertEquals(431, r.status(), r.head() + r.body());
                assertTrue(r.isJsonError() && r.body().contains((String) c[1]), r.body());
            }
            assertEquals(200, RawHttp.send(s.port(), "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status());
            RawHttp.Reply delete = RawHttp.send(s.port(), (String) cases[1][0]);
            assertEquals("GET, HEAD", delete.header("Allow"));
        }
        assertEquals("", String.join("\n", failures));
    }

    /** 48 seeded mutations of a valid body: each is answered 200 or a JSON 400, never 5xx, HTML or silence. */
    @Test
    void generatedMutatedBodiesGet200OrAJson400() throws Exception {
        String valid = "{\"inputs\": \"def f\", \"parameters\": {\"max_new_tokens\": 2, \"temperature\": 0.5,"
                + " \"do_sample\": true, \"seed\": 3}, \"stream\": false}";
        Random random = new Random(4);
        String alphabet = "{}[]\":,'\\ 0123456789.eE+-truefalsnl\u00e9\u0000";
        List<String> failures = new ArrayList<>();
        int ok = 0;
        int bad = 0;
        try (EmbeddedServer s = start(32, Duration.ofSeconds(10))) {
            for (int i = 0; i < 48; i++) {
                StringBuilder b = new StringBuilder(valid);
                int edits = 1 + random.nextInt(3);
                for (int e = 0; e < edits; e++) {
                    int at = random.nextInt(b.length());
                    switch (random.nextInt(3)) {
                        case 0 -> b.deleteCharAt(at);
                        case 1 -> b.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
                        default -> b.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length())));
                    }
                }
                RawHttp.Reply r = RawHttp.send(s.port(), RawHttp.post("/invocations", b.toString()));
                if (r.status() == 200 && r.body().contains("\"generated_text\"")) {
                    ok++;
                } else if (r.status() == 400 && r.isJsonError() && !r.body().contains("setLenient")
                        && !r.body().contains("https://")) {
                    bad++;
                } else {
                    failures.add(b + " -> " + r.status() + " " + r.body());
                }
            }
        }
        assertEquals("", String.join("\n", failures));
        assertEquals(48, ok + bad);
        assertTrue(bad > 24, bad + " of 48 mutations were refused");
    }

    /** 24 seeded slow clients (silent, half a request line, headers without end, half a body, an unfinished chunked body). */
    @Test
    void slowClientsAreDisconnectedAndCannotStarveTheServer() throws Exception {
        Random random = new Random(9);
        String[] partial = {
            "",
            "POST /invoca",
            "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
            "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"inputs\": ",
            "POST /invocations HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"inp\r\n",
        };
        try (EmbeddedServer s = start(8, Duration.ofSeconds(10))) {
            assertEquals(Duration.ofSeconds(2), s.readTimeout());
            List<Socket> slow = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                Socket socket = new Socket("127.0.0.1", s.port());
                socket.setSoTimeout(10_000);
                String p = partial[random.nextInt(partial.length)];
                if (!p.isEmpty()) {
                    socket.getOutputStream().write(p.getBytes(StandardCharsets.UTF_8));
                    socket.getOutputStream().flush();
                }
                slow.add(socket);
            }
            // a well-behaved client still gets through: at once or, at worst, once the slow ones are cut
            long start = System.nanoTime();
            RawHttp.Reply ping = null;
            while ((ping == null || ping.status() != 200) && System.nanoTime() - start < 8_000_000_000L) {
                ping = RawHttp.send(s.port(), "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(
                        StandardCharsets.UTF_8), 1000);
            }
            assertEquals(200, ping.status(), "a ping got through the slow clients");
            int threads = (int) Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().startsWith("layerskip-http-") && !t.getName().startsWith("layerskip-http-worker")).count();
            assertTrue(threads <= 8 + 32 + 32, "HTTP threads bounded, got " + threads); // this server's 8, others' idle ones
            for (Socket socket : slow) { // every slow connection is closed by the server within the read timeout (+ timer tick)
                try (socket; InputStream in = socket.getInputStream()) {
                    long t0 = System.nanoTime();
                    int n;
                    try {
                        while ((n = in.read()) >= 0 && n != -1) {
                            // an answer may come first (a 400 or 413), then the close
                        }
                    } catch (java.net.SocketException reset) {
                        // closed by the server
                    }
                    assertTrue(System.nanoTime() - t0 < 9_000_000_000L);
                }
            }
            RawHttp.Reply after = RawHttp.send(s.port(), RawHttp.post("/invocations", "{\"inputs\": \"def \"}"));
            assertEquals(200, after.status(), after.body());
        }
    }

    @Test
    void aNonStreamingClientThatLeavesCancelsItsGeneration() throws Exception {
        GenerationService service = service();
        try (EmbeddedServer s = start(32, Duration.ofSeconds(10))) {
            RawHttp.leaveWhileGenerating(s.port(), RawHttp.post("/invocations", "{\"inputs\": \"def \", \"parameters\": {\"max_new_tokens\": 1900,"
                    + " \"strategy\": \"autoregressive\"}}"), service);
            RawHttp.Reply next = RawHttp.send(s.port(), RawHttp.post("/invocations", "{\"inputs\": \"def \"}"));
            assertEquals(200, next.status(), next.body());
        }
    }

    @Test
    void aSlowNonStreamingAnswerStillArrivesWhole() throws Exception {
        try (EmbeddedServer s = start(32, Duration.ofSeconds(10))) {
            // a long answer (several seconds) arrives whole, with its status and length
            RawHttp.Reply r = RawHttp.send(s.port(), RawHttp.post("/invocations", "{\"inputs\": \"def \", \"parameters\":"
                    + " {\"max_new_tokens\": 600, \"strategy\": \"autoregressive\"}}").getBytes(StandardCharsets.UTF_8), 30_000);
            assertEquals(200, r.status(), r.body());
            assertTrue(r.body().startsWith("{\"generated_text\""), "no padding before the JSON: " + r.body());
            assertEquals(Integer.toString(r.body().getBytes(StandardCharsets.UTF_8).length), r.header("Content-Length"));
            com.google.gson.JsonObject o = dev.layerskip.json.StrictJson.parse(r.body()).getAsJsonObject();
            assertTrue(o.get("generated_text").getAsString().length() > 0);
        }
    }

    @Test
    void shutdownIsImmediateWhenIdle() throws Exception {
        EmbeddedServer s = start(32, Duration.ofSeconds(30));
        assertEquals(200, RawHttp.send(s.port(), "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status());
        long t0 = System.nanoTime();
        s.close();
        long millis = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(millis < 15_000, "close() of an idle server took " + millis + " ms of its 30 s grace");
    }

    @Test
    void addressInUseNamesThePort() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            BindException e = assertThrows(BindException.class, () -> EmbeddedServer.start(model,
                    new ServerConfig("127.0.0.1", port, "demo", 1, 1, 1024, Duration.ofSeconds(5), Duration.ZERO)));
            assertTrue(e.getMessage().contains("cannot listen on 127.0.0.1:" + port), e.getMessage());
        }
    }
}
