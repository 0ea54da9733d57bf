package dev.layerskip.serving;

import ai.djl.inference.Predictor;
import ai.djl.inference.streaming.ChunkedBytesSupplier;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.BytesSupplier;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import dev.layerskip.djl.LayerSkipServingTranslator;
import dev.layerskip.djl.LmiJson;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A one-machine HTTP server with DJL Serving's endpoints and JSON: {@code GET /ping},
 * {@code POST /invocations} and {@code POST /predictions/{model}} (LMI requests, streaming as
 * chunked {@code application/jsonlines}). Requests become {@link Input}s exactly as DJL Serving
 * builds them (the body under "data", headers as properties) and go through a {@link Predictor} of
 * the model, so the answers are the ones DJL Serving gives for {@code serving-config/}.
 *
 * <p>At most {@code workers} requests generate at once and {@code queueSize} more wait; beyond that
 * the answer is 503. Bodies above {@code maxRequestBytes} get 413. A client that disconnects from a
 * stream cancels its generation. {@link #close()} stops accepting, lets running requests finish
 * within the grace period, then stops.
 */
public final class EmbeddedServer implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(EmbeddedServer.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final ZooModel<Input, Output> model;
    private final ServerConfig config;
    private final HttpServer server;
    private final ExecutorService executor;
    private final Semaphore admitted;
    private final Semaphore generating;

    private EmbeddedServer(ZooModel<Input, Output> model, ServerConfig config) throws IOException {
        this.model = model;
        this.config = config;
        this.admitted = new Semaphore(config.workers() + config.queueSize());
        this.generating = new Semaphore(config.workers(), true);
        this.server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 64);
        this.executor = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "layerskip-http-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.createContext("/v1/", new OpenAiEndpoints(model, config, admitted, generating)::handle);
    }

    /**
     * Starts serving a model loaded for {@code Input -> Output} (e.g. with
     * {@code LayerSkipCriteria.builder(Input.class, Output.class)}). The caller keeps ownership of
     * the model and closes it after the server.
     *
     * @param model the model
     * @param config the settings
     * @return the running server
     * @throws IOException if the address cannot be bound
     */
    public static EmbeddedServer start(ZooModel<Input, Output> model, ServerConfig config) throws IOException {
        EmbeddedServer s = new EmbeddedServer(model, config);
        s.server.start();
        LOGGER.info("serving {} on {}", config.modelName(), s.uri());
        return s;
    }

    /** @return the bound port */
    public int port() {
        return server.getAddress().getPort();
    }

    /** @return the base URI, e.g. {@code http://127.0.0.1:8080/} */
    public URI uri() {
        return URI.create("http://" + config.host() + ":" + port() + "/");
    }

    @Override
    public void close() {
        server.stop((int) Math.max(0, config.shutdownGrace().toSeconds()));
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(config.shutdownGrace().toMillis() + 1000, TimeUnit.MILLISECONDS)) {
                LOGGER.warn("HTTP threads still running after shutdown");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            if (path.equals("/ping")) {
                send(exchange, 200, "application/json", "{\"status\":\"Healthy\"}");
            } else if (path.equals("/models") && method.equals("GET")) {
                send(exchange, 200, "application/json", "{\"models\":[{\"modelName\":\"" + config.modelName()
                        + "\",\"status\":\"READY\"}]}");
            } else if (path.equals("/invocations") || path.startsWith("/predictions/")) {
                if (!method.equals("POST")) {
                    exchange.getResponseHeaders().set("Allow", "POST");
                    sendError(exchange, 405, "use POST for " + path);
                } else if (path.startsWith("/predictions/") && !path.equals("/predictions/" + config.modelName())) {
                    sendError(exchange, 404, "model '" + path.substring("/predictions/".length())
                            + "' not found; this server serves '" + config.modelName() + "'");
                } else {
                    predict(exchange);
                }
            } else {
                sendError(exchange, 404, "no endpoint " + path + " (use /ping, /invocations or /predictions/"
                        + config.modelName() + ")");
            }
        } catch (IOException e) {
            LOGGER.debug("client connection failed: {}", e.toString());
        } catch (RuntimeException e) {
            LOGGER.error("request failed", e);
            if (exchange.getResponseCode() == -1) { // nothing sent yet: answer 500 instead of a dropped connection
                try {
                    sendError(exchange, 500, "internal error: " + e);
                } catch (IOException gone) {
                    LOGGER.debug("client gone before the error could be sent: {}", gone.toString());
                }
            }
        }
    }

    private void predict(HttpExchange exchange) throws IOException {
        byte[] body = readBody(exchange);
        if (body == null) {
            return; // 413 sent
        }
        if (!admitted.tryAcquire()) {
            sendError(exchange, 503, "server busy: " + config.workers() + " running and " + config.queueSize()
                    + " queued requests; retry later");
            return;
        }
        try {
            generating.acquireUninterruptibly();
            try {
                Input input = new CancellableInput();
                for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
                    if (!h.getValue().isEmpty()) {
                        input.addProperty(h.getKey(), h.getValue().get(0));
                    }
                }
                input.add("data", body);
                Output output;
                try (Predictor<Input, Output> predictor = model.newPredictor()) {
                    output = predictor.predict(input);
                } catch (TranslateException e) {
                    LOGGER.error("prediction failed", e);
                    output = LayerSkipServingTranslator.error("prediction failed: " + e.getMessage(), 500);
                }
                respond(exchange, input, output);
            } finally {
                generating.release();
            }
        } finally {
            admitted.release();
        }
    }

    private byte[] readBody(HttpExchange exchange) throws IOException {
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > config.maxRequestBytes()) {
                    sendError(exchange, 413, "request body of " + length + " bytes exceeds the limit of "
                            + config.maxRequestBytes());
                    return null;
                }
            } catch (NumberFormatException e) {
                sendError(exchange, 400, "Content-Length is not a number: " + length);
                return null;
            }
        }
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes(config.maxRequestBytes() + 1);
            if (body.length > config.maxRequestBytes()) {
                sendError(exchange, 413, "request body exceeds the limit of " + config.maxRequestBytes() + " bytes");
                return null;
            }
            return body;
        }
    }

    private void respond(HttpExchange exchange, Input input, Output output) throws IOException {
        for (Map.Entry<String, String> p : output.getProperties().entrySet()) {
            exchange.getResponseHeaders().set(p.getKey(), p.getValue());
        }
        BytesSupplier data = output.getData();
        if (!(data instanceof ChunkedBytesSupplier chunks)) {
            byte[] bytes = data == null ? new byte[0] : data.getAsBytes();
            exchange.sendResponseHeaders(output.getCode(), bytes.length == 0 ? -1 : bytes.length);
            if (bytes.length > 0) {
                exchange.getResponseBody().write(bytes);
            }
            return;
        }
        exchange.sendResponseHeaders(output.getCode(), 0); // chunked
        OutputStream out = exchange.getResponseBody();
        try {
            while (chunks.hasNext()) {
                byte[] chunk = chunks.nextChunk(config.chunkTimeout().toMillis(), TimeUnit.MILLISECONDS);
                out.write(chunk);
                out.flush();
            }
        } catch (IOException e) {
            input.setCancelled(true); // the client went away: stop its generation
            throw e;
        } catch (InterruptedException e) { // the server is closing
            input.setCancelled(true);
            Thread.currentThread().interrupt();
            out.write(errorLine("the server is shutting down"));
        } catch (IllegalStateException e) { // chunk timeout
            input.setCancelled(true);
            LOGGER.warn("stream cut: no token within {}", config.chunkTimeout());
            out.write(errorLine("no token within " + config.chunkTimeout().toSeconds() + " s; stream cut"));
        }
    }

    private static byte[] errorLine(String message) {
        return (LmiJson.streamErrorLine(message) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static void sendError(HttpExchange exchange, int code, String message) throws IOException {
        send(exchange, code, "application/json", LmiJson.error(message, code));
    }

    private static void send(HttpExchange exchange, int code, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(code, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
