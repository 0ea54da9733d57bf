package dev.layerskip.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.ZooModel;

import dev.layerskip.djl.DjlTestSupport;
import dev.layerskip.djl.LayerSkipCriteria;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Slow clients hold sockets, not generation slots: with the default limits, a thousand connections stalled
 * mid-header and a hundred mid-body leave {@code /ping} and requests served, cost no thread, are cut by the
 * header timeout, and the bytes they hold are bounded by a budget and freed when they go.
 */
class StalledConnectionsTest {

    private static final String HALF_HEADERS = "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Ty";
    private static final String HALF_BODY = "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: 1000\r\n\r\n{\"inputs\": \"def";

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

    private static Socket stalled(int port, String partial) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(15_000);
        socket.getOutputStream().write(partial.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return socket;
    }

    private static String readAll(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder got = new StringBuilder();
        try {
            int b;
            while ((b = in.read()) >= 0) {
                got.append((char) b);
            }
        } catch (java.net.SocketException reset) {
            // closed by the server after its answer
        }
        return got.toString();
    }

    private static long httpThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("layerskip-http-")
                && !t.getName().startsWith("layerskip-http-worker")).count();
    }

    @Test
    void aThousandStalledConnectionsLeavePingAndRequestsServed() throws Exception {
        ServerConfig defaults = new ServerConfig("127.0.0.1", 0, "demo", 1, 2, 1 << 20, Duration.ofSeconds(60),
                Duration.ZERO);
        assertEquals(ServerConfig.DEFAULT_MAX_CONNECTIONS, defaults.maxConnections());
        assertEquals(Duration.ofSeconds(3), defaults.headerTimeout());
        long threadsBefore = httpThreads();
        List<Socket> midHeader = new ArrayList<>();
        List<Socket> midBody = new ArrayList<>();
        try (EmbeddedServer s = EmbeddedServer.start(model, defaults)) {
            try {
                for (int i = 0; i < 1000; i++) {
                    midHeader.add(stalled(s.port(), HALF_HEADERS));
                }
                for (int i = 0; i < 100; i++) {
                    midBody.add(stalled(s.port(), HALF_BODY));
                }
                for (int i = 0; i < 10; i++) {
                    RawHttp.Reply ping = RawHttp.send(s.port(), "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                    assertEquals(200, ping.status(), "ping " + i + " beside 1,100 stalled connections");
                }
                RawHttp.Reply served = RawHttp.send(s.port(), RawHttp.post("/invocations", "{\"inputs\": \"def \"}"));
                assertEquals(200, served.status(), served.body());
                assertTrue(httpThreads() - threadsBefore <= 8, "the server's HTTP threads stay a fixed few: "
                        + (httpThreads() - threadsBefore));
                long held = s.pendingRequestBytes();
                long sent = 1000L * HALF_HEADERS.length() + 100L * HALF_BODY.length();
                assertTrue(held > 0 && held <= sent, "pending bytes " + held + " of " + sent + " sent");
                String cut = readAll(midHeader.get(0)); // the header timeout (3 s) closes it with a 408
                assertTrue(cut.startsWith("HTTP/1.1 408") && cut.contains("request line and headers did not arrive within 3 s"),
                        cut);
            } finally {
                for (Socket socket : midHeader) {
                    socket.close();
                }
                for (Socket socket : midBody) {
                    socket.close();
                }
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (s.pendingRequestBytes() != 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(0, s.pendingRequestBytes(), "every closed connection freed what it held");
        }
    }

    @Test
    void unfinishedRequestsPastTheByteBudgetGet503AndTheRestIsServed() throws Exception {
        String head = "POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n";
        String partial = head + "{" + " ".repeat(3000 - head.length() - 1); // JSON whitespace, then the fields
        String tail = "\"inputs\": \"def \"}";
        assertEquals(3000, partial.length());
        ServerConfig config = new ServerConfig("127.0.0.1", 0, "demo", 1, 2, 4096, Duration.ofSeconds(60),
                Duration.ZERO, 100, Duration.ofSeconds(10), Duration.ofSeconds(10), 16_384);
        try (EmbeddedServer s = EmbeddedServer.start(model, config)) {
            List<Socket> kept = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) { // 15,000 bytes: within the budget
                    kept.add(stalled(s.port(), partial));
                }
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (s.pendingRequestBytes() < 15_000 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertEquals(15_000, s.pendingRequestBytes());
                try (Socket sixth = stalled(s.port(), partial)) {
                    RawHttp.Reply refused = RawHttp.parse(readAll(sixth));
                    assertEquals(503, refused.status());
                    assertTrue(refused.isJsonError() && refused.body().contains("16384"), refused.body());
                }
                assertEquals(15_000, s.pendingRequestBytes(), "the refused request's bytes were dropped");
                RawHttp.Reply ping = RawHttp.send(s.port(), "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                assertEquals(200, ping.status(), "small requests still fit");
                Socket first = kept.get(0); // finishing a kept request frees its bytes and serves it
                int rest = 4000 - (partial.length() - head.length()); // the body's missing bytes
                first.getOutputStream().write((" ".repeat(rest - tail.length()) + tail).getBytes(StandardCharsets.ISO_8859_1));
                first.getOutputStream().flush();
                RawHttp.Reply served = RawHttp.parse(readUntilAnswered(first));
                assertEquals(200, served.status(), served.body());
                assertEquals(12_000, s.pendingRequestBytes());
            } finally {
                for (Socket socket : kept) {
                    socket.close();
                }
            }
        }
    }

    /** Reads one keep-alive answer: headers and a Content-Length body. */
    private static String readUntilAnswered(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder got = new StringBuilder();
        int length = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                return got.toString();
            }
            got.append((char) b);
            int end = got.indexOf("\r\n\r\n");
            if (end >= 0 && length < 0) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(got);
                length = m.find() ? Integer.parseInt(m.group(1)) : 0;
            }
            if (length >= 0 && got.length() >= got.indexOf("\r\n\r\n") + 4 + length) {
                return got.toString();
            }
        }
    }
}
