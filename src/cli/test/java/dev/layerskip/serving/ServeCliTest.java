package dev.layerskip.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.CliRun;
import dev.layerskip.cli.Main;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The serve command end to end: starts, answers over HTTP, stops when its thread is interrupted; bad flags. */
class ServeCliTest {

    private static final class Buffer extends StringWriter {
        @Override
        public synchronized String toString() {
            return super.toString();
        }
    }

    @Test
    void serveAnswersAndStops() throws Exception {
        Buffer out = new Buffer();
        StringWriter err = new StringWriter();
        AtomicInteger status = new AtomicInteger(-1);
        Thread server = new Thread(() -> status.set(Main.run(new String[] {"serve", "--port", "0", "--model-name", "demo",
            "--max-new-tokens", "6", "--chat-template", "src/openai/test/resources/chat-templates/demo/code-chat.jinja"},
            new PrintWriter(out, true), new PrintWriter(err, true))));
        server.start();
        Matcher m = Pattern.compile("on (http://127\\.0\\.0\\.1:\\d+/)").matcher("");
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!m.reset(out.toString()).find() && System.nanoTime() < deadline && server.isAlive()) {
            Thread.sleep(50);
        }
        assertTrue(m.reset(out.toString()).find(), "no URL printed: " + out + err);
        URI base = URI.create(m.group(1));
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("predictions/demo")).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString("{\"inputs\": \"def \", \"parameters\": {\"details\": true}}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"generated_tokens\":6"), r.body()); // --max-new-tokens is the default
        HttpResponse<String> chat = client.send(HttpRequest.newBuilder(base.resolve("v1/chat/completions")).timeout(Duration.ofSeconds(60))
                .POST(HttpRequest.BodyPublishers.ofString("{\"messages\": [{\"role\": \"user\", \"content\": \"def \"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, chat.statusCode(), chat.body()); // --chat-template gives the demo a template
        assertTrue(chat.body().contains("\"completion_tokens\":6"), chat.body());
        server.interrupt();
        server.join(30_000);
        assertEquals(0, status.get(), err.toString());
        // the kept-alive connection was closed with the server (a timeout would mean it stayed open) ...
        IOException onOldConnection = assertThrows(IOException.class, () -> client.send(HttpRequest.newBuilder(
                base.resolve("ping")).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString()));
        assertFalse(onOldConnection instanceof HttpTimeoutException, onOldConnection.toString());
        // ... and a new one is refused: nothing listens any more
        HttpClient fresh = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        assertThrows(ConnectException.class, () -> fresh.send(HttpRequest.newBuilder(base.resolve("ping"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()));
    }

    @Test
    void badServeOptionsAreNamed() {
        CliRun.assertFails("workers must be in 1..1024, got 0", "serve", "--workers", "0");
        CliRun.assertFails("read timeout must be at least 1 s", "serve", "--port", "0", "--read-timeout", "0");
        CliRun.assertFails("max connections must exceed workers + queue size (17)", "serve", "--port", "0",
                "--workers", "1", "--max-connections", "17");
        // workers default to --max-batch-size (8), so that a full batch can be in flight
        CliRun.assertFails("max connections must exceed workers + queue size (24)", "serve", "--port", "0",
                "--max-connections", "24");
        CliRun.assertFails("header timeout must be at least 1 s and at most the read timeout (10 s), got PT11S", "serve",
                "--port", "0", "--header-timeout", "11");
        CliRun.assertFails("--max-pending-mb must be in 1..1048576, got 0", "serve", "--port", "0", "--max-pending-mb", "0");
        CliRun.assertFails("max pending bytes must be at least max request bytes (4194304)", "serve", "--port", "0",
                "--max-pending-mb", "2", "--max-request-bytes", "4194304");
        CliRun.assertFails("--max-batch-size must be in 1..1024, got 0", "serve", "--port", "0", "--max-batch-size", "0");
        CliRun.assertFails("port must be in 0..65535, got 70000", "serve", "--port", "70000");
        CliRun.assertFails("model directory not found", "serve", "--model", "no/such/dir");
        CliRun.assertFails("max_new_tokens must be >= 1", "serve", "--port", "0", "--max-new-tokens", "0");
    }

}
