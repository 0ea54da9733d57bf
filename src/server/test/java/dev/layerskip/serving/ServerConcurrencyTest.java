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

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The embedded server under 128 clients at once (a seeded mix of slow clients that never finish their
 * headers, generation requests and pings): its threads stay bounded, every refusal is a JSON 503 (or a JSON
 * 408 for a request that never arrived whole), and a normal request is served within a bound.
 */
class ServerConcurrencyTest {

    private static final int CLIENTS = 128;
    private static ZooModel<Input, Output> model;

    @BeforeAll
    static void load() throws Exception {
        model = LayerSkipCriteria.builder(Input.class, Output.class).optModelPath(DjlTestSupport.DEMO)
                .optArgument("max_new_tokens", 4).build().loadModel();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static int serverThreads() {
        return (int) Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith("layerskip-http-")).count();
    }

    /** One client's whole exchange: what it sent first, and the reply (status -1: closed without an answer). */
    private record Outcome(String kind, RawHttp.Reply reply) {}

    private static Outcome client(int port, String kind, String request) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(request.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (java.io.IOException e) {
                return new Outcome(kind, new RawHttp.Reply(-1, "", ""));
            }
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buf = new byte[4096];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    got.write(buf, 0, n);
                }
            } catch (java.net.SocketException reset) {
                // take what arrived
            }
            return new Outcome(kind, RawHttp.parse(got.toString(StandardCharsets.ISO_8859_1)));
        }
    }

    @Test
    void oneHundredTwentyEightClientsAtOnceCannotStarveTheServer() throws Exception {
        int threadsBefore = serverThreads();
        Random random = new Random(128);
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try (EmbeddedServer s = EmbeddedServer.start(model, new ServerConfig("127.0.0.1", 0, "demo", 1, 2, 1 << 16,
                Duration.ofSeconds(60), Duration.ofSeconds(10), 24, Duration.ofSeconds(2)))) {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Outcome>> futures = new ArrayList<>();
            Map<String, Integer> kinds = new TreeMap<>();
            for (int i = 0; i < CLIENTS; i++) {
                String kind = switch (random.nextInt(3)) {
                    case 0 -> "slow";
                    case 1 -> "generate";
                    default -> "ping";
                };
                kinds.merge(kind, 1, Integer::sum);
                String request = switch (kind) {
                    case "slow" -> "POST /invocations HTTP/1.1\r\nHost: x\r\n" + "X-Pad: 1\r\n".repeat(random.nextInt(4));
                    case "generate" -> RawHttp.post(random.nextBoolean() ? "/invocations" : "/predictions/demo",
                            "{\"inputs\": \"def \", \"parameters\": {\"max_new_tokens\": " + (2 + random.nextInt(6)) + "}}");
                    default -> "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
                };
                futures.add(clients.submit(() -> {
                    go.await();
                    return client(s.port(), kind, request);
                }));
            }
            AtomicInteger maxThreads = new AtomicInteger();
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread sampler = new Thread(() -> {
                while (sampling.get()) {
                    maxThreads.accumulateAndGet(serverThreads() - threadsBefore, Math::max);
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            sampler.start();
            go.countDown();
            Thread.sleep(100); // the attack is under way
            long t0 = System.nanoTime();
            RawHttp.Reply ping = null;
            while ((ping == null || ping.status() != 200) && System.nanoTime() - t0 < 10_000_000_000L) {
                ping = RawHttp.send(s.port(), "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.UTF_8), 3000);
                if (ping.status() != 200) {
                    Thread.sleep(50);
                }
            }
            double pingSeconds = (System.nanoTime() - t0) / 1e9;
            List<String> wrong = new ArrayList<>();
            Map<String, Integer> statuses = new TreeMap<>();
            for (Future<Outcome> f : futures) {
                Outcome o = f.get(30, TimeUnit.SECONDS);
                RawHttp.Reply r = o.reply();
                statuses.merge(o.kind() + " " + r.status(), 1, Integer::sum);
                boolean ok = switch (r.status()) {
                    case 200 -> !o.kind().equals("slow") && r.body().contains(o.kind().equals("ping") ? "Healthy" : "generated_text");
                    case 503 -> r.isJsonError() && r.body().contains("server busy");
                    case 408 -> o.kind().equals("slow") && r.isJsonError() && r.body().contains("headers did not arrive within 2 s"); // stalled mid-header
                    default -> false;
                };
                if (!ok) {
                    wrong.add(o.kind() + " -> " + r.status() + " " + r.head() + " " + r.body());
                }
            }
            sampling.set(false);
            sampler.join();
            System.out.printf("128 clients %s: %s; a normal ping was served after %.2f s; at most %d server threads%n",
                    kinds, statuses, pingSeconds, maxThreads.get());
            assertEquals("", String.join("\n", wrong));
            assertEquals(200, ping.status(), "a normal request got through");
            assertTrue(pingSeconds < 2 + 3, "served within the read timeout plus 3 s, took " + pingSeconds);
            assertTrue(maxThreads.get() <= 1 + EmbeddedServer.IO_THREADS + 1,
                    "threads: 1 acceptor, " + EmbeddedServer.IO_THREADS + " event loops, 1 worker; got " + maxThreads.get());
            int refused = statuses.entrySet().stream().filter(e -> e.getKey().endsWith(" 503")).mapToInt(Map.Entry::getValue).sum();
            assertTrue(refused > 0 && refused < CLIENTS, refused + " refusals");
            assertTrue(statuses.getOrDefault("generate 200", 0) > 0, "some generations were served");
            RawHttp.Reply after = RawHttp.send(s.port(), RawHttp.post("/invocations", "{\"inputs\": \"def \"}"));
            assertEquals(200, after.status(), after.body());
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void aNonStreamingOpenAiClientThatLeavesCancelsItsGeneration() throws Exception {
        GenerationService service = ((LayerSkipServingTranslator) model.getTranslator()).service();
        try (EmbeddedServer s = EmbeddedServer.start(model, new ServerConfig("127.0.0.1", 0, "demo", 1, 2, 1 << 16,
                Duration.ofSeconds(60), Duration.ofSeconds(10)))) {
            RawHttp.leaveWhileGenerating(s.port(), RawHttp.post("/v1/completions", "{\"prompt\": \"def \", \"max_tokens\": 1000,"
                    + " \"strategy\": \"autoregressive\"}"), service);
            RawHttp.Reply next = RawHttp.send(s.port(), RawHttp.post("/v1/completions", "{\"prompt\": \"def \", \"max_tokens\": 2}"));
            assertEquals(200, next.status(), next.body());
        }
    }
}
