package dev.layerskip.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.ZooModel;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import dev.layerskip.json.StrictJson;
import dev.layerskip.djl.DjlTestSupport;
import dev.layerskip.djl.LayerSkipCriteria;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Malformed HTTP, generated from a seed, over raw sockets: each class of request the HTTP layer itself must
 * refuse (request line, URI, Content-Length, chunked framing, trailers, header block, URI length, method,
 * Expect, garbage) gets the project's JSON error with its 4xx status, and the server serves a normal
 * request after every one of them.
 */
class HttpLayerErrorsTest {

    /** Binary garbage may be closed without an answer: nothing in it can be answered as HTTP. */
    private static final int CLOSE_ALLOWED = -1;

    private static ZooModel<Input, Output> model;

    /** One generated request and the status it must get. */
    private record Case(String kind, String request, int status, String message) {}

    @BeforeAll
    static void load() throws Exception {
        model = LayerSkipCriteria.builder(Input.class, Output.class).optModelPath(DjlTestSupport.DEMO)
                .optArgument("max_new_tokens", 1).build().loadModel();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static String pick(Random r, String... options) {
        return options[r.nextInt(options.length)];
    }

    private static String head(String method, String path, String headers) {
        return method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n" + headers + "Connection: close\r\n\r\n";
    }

    private static String post(String path, String headers, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" + headers
                + "Connection: close\r\n\r\n" + body;
    }

    /** The generated cases: a few per class, varied by the seed. */
    static List<Case> cases(long seed) {
        Random r = new Random(seed);
        List<Case> c = new ArrayList<>();
        String body = "{\"inputs\": \"def \", \"prompt\": \"def \"}";
        String[] getPaths = {"/ping", "/models", "/v1/models"};
        String[] postPaths = {"/invocations", "/predictions/demo", "/v1/completions"};
        // request line
        c.add(new Case("request line", "GET " + pick(r, getPaths) + " HTTP/1.1 \r\nHost: x\r\n\r\n", 400, "malformed request"));
        c.add(new Case("request line", "GET " + pick(r, getPaths) + "\r\nHost: x\r\n\r\n", 400, "malformed request"));
        c.add(new Case("request line", "GET " + pick(r, getPaths) + " HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400, "malformed request"));
        c.add(new Case("request line", "GET " + pick(r, getPaths) + " " + pick(r, "HTTP/2.0", "HTTP/3.0", "HTTP/1.2")
                + "\r\nHost: x\r\nConnection: close\r\n\r\n", 505, "not supported"));
        c.add(new Case("request line", "GET " + pick(r, getPaths) + " " + pick(r, "HTTP/1", "HTTP/x.y", "HTP/1.1", "HTTP/1.1/1")
                + "\r\nHost: x\r\n\r\n", 400, "malformed request"));
        c.add(new Case("request line", pick(r, "G(T", "GE\u0001T", "G\"T") + " /ping HTTP/1.1\r\nHost: x\r\n\r\n", 400,
                "malformed request"));
        c.add(new Case("request line", "GET " + pick(r, getPaths) + " HTTP/1.1\nHost: x\nConnection: close\n\n", 400,
                "CR LF"));
        // URI
        for (String bad : new String[] {"%zz", "%", "%4", "x%g1", "%%"}) {
            c.add(new Case("URI", head("GET", pick(r, getPaths) + "/" + bad, ""), 400, "percent-encoding"));
        }
        c.add(new Case("URI", head("GET", pick(r, "ping", "*", "ftp://x/ping", "//"), ""), 400, "request target"));
        c.add(new Case("URI", head("GET", "/pi" + pick(r, "\u007f", "%00", "%0a", "%7F") + "ng", ""), 400, "control character"));
        // Content-Length
        for (String length : new String[] {"abc", "-5", "+5", "1e3", "5, 7", "99999999999999999999", "0x10"}) {
            c.add(new Case("Content-Length", post(pick(r, postPaths), "Content-Length: " + length + "\r\n", body), 400,
                    "Content-Length"));
        }
        int n = body.length();
        c.add(new Case("Content-Length", post(pick(r, postPaths), "Content-Length: " + n + "\r\nContent-Length: "
                + (n + 1 + r.nextInt(5)) + "\r\n", body), 400, "Content-Length"));
        c.add(new Case("Content-Length", post(pick(r, postPaths), "Content-Length: " + n + "\r\nTransfer-Encoding: chunked\r\n",
                Integer.toHexString(n) + "\r\n" + body + "\r\n0\r\n\r\n"), 400, "both Content-Length and Transfer-Encoding"));
        // chunked framing
        String te = "Transfer-Encoding: chunked\r\n";
        for (String size : new String[] {"zz", "-1", "", "fffffffffffffffff", "3;\u0001"}) {
            c.add(new Case("chunked", post(pick(r, postPaths), te, size + "\r\nabc\r\n0\r\n\r\n"), 400, "chunked body"));
        }
        int cut = 1 + r.nextInt(5);
        c.add(new Case("chunked", post(pick(r, postPaths), te, Integer.toHexString(cut) + "\r\n" + body + "\r\n0\r\n\r\n"),
                400, "chunked body"));
        c.add(new Case("chunked", post(pick(r, postPaths), "Transfer-Encoding: " + pick(r, "chunked, gzip", "gzip", "identity")
                + "\r\n", body), 400, "malformed request"));
        // trailers: well-formed ones are read (and ignored), malformed or oversized ones are refused
        String chunkedBody = Integer.toHexString(n) + "\r\n" + body + "\r\n0\r\n";
        String lmi = "{\"inputs\": \"def \"}";
        c.add(new Case("trailers", post("/invocations", te, Integer.toHexString(lmi.length()) + "\r\n" + lmi + "\r\n0\r\n"
                + "X-Checksum: " + r.nextInt(1000) + "\r\n\r\n"), 200, "generated_text"));
        c.add(new Case("trailers", post(pick(r, postPaths), te, chunkedBody + "no colon in this trailer\r\n\r\n"), 400,
                "malformed request"));
        c.add(new Case("trailers", post(pick(r, postPaths), te, chunkedBody + "X-Big: " + "t".repeat(17_000 + r.nextInt(4000))
                + "\r\n\r\n"), 431, "headers exceed"));
        // header block
        c.add(new Case("header block", head("GET", pick(r, getPaths), "X-Big: " + "h".repeat(17_000 + r.nextInt(40_000)) + "\r\n"),
                431, "headers exceed"));
        c.add(new Case("header block", head("GET", pick(r, getPaths), "X-Many: 1\r\n".repeat(65 + r.nextInt(200))), 431,
                "header fields"));
        c.add(new Case("header block", head("GET", pick(r, getPaths), "no colon here\r\n"), 400, "malformed request"));
        c.add(new Case("header block", head("GET", pick(r, getPaths), "Bad Name: x\r\n"), 400, "malformed request"));
        // obsolete line folding: RFC 9112 lets a server replace it with a space (Netty does) instead of refusing it
        c.add(new Case("header block", head("GET", "/ping", "X-A: 1\r\n folded: 2\r\n"), 200, "Healthy"));
        // URI length
        c.add(new Case("URI length", head("GET", "/ping?" + "q".repeat(9000 + r.nextInt(20_000)), ""), 414, "request line"));
        c.add(new Case("URI length", head("GET", "/" + "p".repeat(9000 + r.nextInt(20_000)), ""), 414, "request line"));
        // method
        c.add(new Case("method", head(pick(r, "BREW", "PROPFIND", "PUT"), "/ping", ""), 405, "use GET, HEAD for /ping"));
        c.add(new Case("method", head(pick(r, "PATCH", "DELETE", "GET"), pick(r, "/invocations", "/predictions/demo"), ""), 405,
                "use POST"));
        c.add(new Case("method", head(pick(r, "DELETE", "POST"), "/v1/models", ""), 405, "use GET for /v1/models"));
        c.add(new Case("method", head(pick(r, "TRACE", "CONNECT", "OPTIONS"), "/nothing", ""), 404, "no endpoint /nothing"));
        // Expect
        c.add(new Case("Expect", post(pick(r, postPaths), "Expect: " + pick(r, "teapot", "200-ok") + "\r\nContent-Length: " + n
                + "\r\n", body), 417, "Expect"));
        c.add(new Case("Expect", post(pick(r, postPaths), "Expect: 100-continue\r\nContent-Length: " + (5000 + r.nextInt(9000))
                + "\r\n", ""), 413, "exceeds the limit of 4096"));
        // garbage
        StringBuilder printable = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            printable.append((char) ('!' + r.nextInt(90)));
        }
        c.add(new Case("garbage", printable + "\r\n\r\n", 400, "malformed request"));
        StringBuilder binary = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            binary.append((char) r.nextInt(256));
        }
        c.add(new Case("garbage", binary + "\r\n\r\n", CLOSE_ALLOWED, "malformed request"));
        c.add(new Case("garbage", "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u01fc\u0003\u0003" + binary + "\r\n", CLOSE_ALLOWED,
                "malformed request"));
        return c;
    }

    /** Checks one answer; returns what is wrong or null. */
    static String check(Case c, RawHttp.Reply reply) {
        if (c.status() == CLOSE_ALLOWED && reply.status() == -1) {
            return null;
        }
        int want = c.status() == CLOSE_ALLOWED ? 400 : c.status();
        if (reply.status() != want) {
            return "status " + reply.status() + ", want " + want;
        }
        if (want == 200) {
            return reply.body().contains(c.message()) ? null : "no " + c.message();
        }
        if (!"application/json".equals(reply.header("Content-Type"))) {
            return "Content-Type " + reply.header("Content-Type");
        }
        JsonElement parsed;
        try {
            parsed = StrictJson.parse(reply.body());
        } catch (dev.layerskip.json.StrictJsonException | RuntimeException e) {
            return "not JSON: " + e.getMessage();
        }
        JsonObject o = parsed.getAsJsonObject();
        String message;
        if (o.get("error").isJsonObject()) { // OpenAI's shape under /v1/
            message = o.getAsJsonObject("error").get("message").getAsString();
        } else {
            message = o.get("error").getAsString();
            if (o.get("code").getAsInt() != want) {
                return "code " + o.get("code");
            }
        }
        if (!message.contains(c.message()) || message.contains("https://") || message.contains("<")) {
            return "message: " + message;
        }
        return null;
    }

    @Test
    void everyMalformedRequestGetsAJsonErrorAndTheServerKeepsServing() throws Exception {
        List<Case> cases = cases(11);
        List<String> failures = new ArrayList<>();
        Map<String, Integer> perKind = new LinkedHashMap<>();
        try (EmbeddedServer s = EmbeddedServer.start(model, new ServerConfig("127.0.0.1", 0, "demo", 1, 2, 4096,
                Duration.ofSeconds(60), Duration.ofSeconds(5), 32, Duration.ofSeconds(2)))) {
            for (Case c : cases) {
                perKind.merge(c.kind(), 1, Integer::sum);
                RawHttp.Reply reply = RawHttp.send(s.port(), c.request().getBytes(StandardCharsets.ISO_8859_1), 5000);
                String problem = check(c, reply);
                String line = c.request().lines().findFirst().orElse("");
                System.out.printf("%-15s %-60.60s -> %d %.110s%n", c.kind(), line.replaceAll("\\p{Cntrl}", "?"),
                        reply.status(), reply.body().replaceAll("\\s+", " "));
                if (problem != null) {
                    failures.add(c.kind() + ": " + line.replaceAll("\\p{Cntrl}", "?") + " -> " + problem + " | "
                            + reply.head().replace("\r\n", " / ") + " | " + reply.body());
                }
                RawHttp.Reply ping = RawHttp.send(s.port(), "GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                if (ping.status() != 200) {
                    failures.add("after " + c.kind() + " " + line + ": ping got " + ping.status());
                }
            }
        }
        System.out.println("generated cases per class: " + perKind);
        assertTrue(cases.size() >= 45, cases.size() + " cases");
        assertEquals("", String.join("\n", failures));
    }
}
