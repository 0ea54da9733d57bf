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
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A one-machine HTTP server with DJL Serving's endpoints and JSON: {@code GET|HEAD /ping},
 * {@code GET /models}, {@code POST /invocations} and {@code POST /predictions/{model}} (LMI requests,
 * streaming as chunked {@code application/jsonlines}). Requests become {@link Input}s exactly as DJL
 * Serving builds them (the body under "data", headers as properties) and go through a {@link Predictor}
 * of the model, so the answers are the ones DJL Serving gives for {@code serving-config/}.
 *
 * <p>Limits: at most {@code workers} requests generate at once and {@code queueSize} more wait (503
 * beyond); bodies above {@code maxRequestBytes} get 413; at most {@code maxConnections} connections are
 * served at once, each on its own thread (more are closed); a client that takes longer than
 * {@code readTimeout} to send its request is disconnected (the JDK server takes this limit from a system
 * property once per JVM, see {@link JdkHttpLimits}). A client that disconnects cancels its generation,
 * streaming or not. Errors this server answers use the JSON shape {@code {"error", "code"}}; the JDK
 * layer itself still answers a malformed request line, URI or Content-Length with its own HTML 400.
 * {@link #close()} stops accepting, lets running requests finish within the grace period (returning at
 * once when none runs), then stops.
 */
public final class EmbeddedServer implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(EmbeddedServer.class);
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** How often a non-streaming request's client is probed once its generation runs. */
    static final long PROBE_MILLIS = 1000;

    /** Answers one routed request. */
    @FunctionalInterface
    private interface Handler {
        void handle(HttpExchange exchange, String path) throws IOException;
    }

    /** One endpoint: a path (or, with {@code prefix}, every path under it), its methods and its handler. */
    private record Route(String path, boolean prefix, Set<String> methods, Handler handler) {
        boolean matches(String requestPath) {
            return prefix ? requestPath.startsWith(path) : requestPath.equals(path);
        }
    }

    private final ZooModel<Input, Output> model;
    private final ServerConfig config;
    private final HttpServer server;
    private final ThreadPoolExecutor executor;
    private final ScheduledExecutorService probes;
    private final Semaphore admitted;
    private final Semaphore generating;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final List<Route> routes = new ArrayList<>();
    private final Duration readTimeout;
    private volatile boolean closing;

    private EmbeddedServer(ZooModel<Input, Output> model, ServerConfig config) throws IOException {
        this.model = model;
        this.config = config;
        this.admitted = new Semaphore(config.workers() + config.queueSize());
        this.generating = new Semaphore(config.workers(), true);
        this.readTimeout = JdkHttpLimits.apply(config);
        try {
            this.server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 64);
        } catch (BindException e) {
            BindException named = new BindException("cannot listen on " + config.host() + ":" + config.port() + ": "
                    + e.getMessage() + (config.port() == 0 ? "" : " (choose another --port, or 0 for any free port)"));
            named.initCause(e);
            throw named;
        }
        // Bounded: one thread per connection being served; the JDK server closes a connection the pool rejects.
        this.executor = new ThreadPoolExecutor(0, config.maxConnections(), 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> daemon(r, "layerskip-http-" + THREADS.incrementAndGet()));
        this.probes = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "layerskip-http-probe"));
        server.setExecutor(executor);
        route("/ping", false, Set.of("GET", "HEAD"), (e, p) -> send(e, 200, "{\"status\":\"Healthy\"}"));
        route("/models", false, Set.of("GET"), (e, p) -> send(e, 200, "{\"models\":[{\"modelName\":\""
                + config.modelName() + "\",\"status\":\"READY\"}]}"));
        route("/invocations", false, Set.of("POST"), (e, p) -> predict(e));
        route("/predictions/", true, Set.of("POST"), this::predictNamed);
        server.createContext("/", this::handle);
        server.createContext("/v1/", new OpenAiEndpoints(model, config, admitted, generating)::handle);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void route(String path, boolean prefix, Set<String> methods, Handler handler) {
        routes.add(new Route(path, prefix, methods, handler));
    }

    /**
     * Starts serving a model loaded for {@code Input -> Output} (e.g. with
     * {@code LayerSkipCriteria.builder(Input.class, Output.class)}). The caller keeps ownership of
     * the model and closes it after the server.
     *
     * @param model the model
     * @param config the settings
     * @return the running server
     * @throws BindException if the address cannot be bound (the message names host and port)
     * @throws IOException if the server cannot be created
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

    /** @return the request read timeout in force (the JDK server reads it once per JVM; zero = none) */
    public Duration readTimeout() {
        return readTimeout;
    }

    @Override
    public void close() {
        closing = true; // new requests get 503
        long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        server.stop(0);
        probes.shutdownNow();
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                LOGGER.warn("HTTP threads still running after shutdown");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        inFlight.incrementAndGet();
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (closing) {
                sendError(exchange, 503, "the server is shutting down");
                return;
            }
            Route route = routes.stream().filter(r -> r.matches(path)).findFirst().orElse(null);
            if (route == null) {
                sendError(exchange, 404, "no endpoint " + path + " (use /ping, /models, /invocations or /predictions/"
                        + config.modelName() + ")");
            } else if (!route.methods().contains(exchange.getRequestMethod())) {
                String allow = String.join(", ", route.methods().stream().sorted().toList());
                exchange.getResponseHeaders().set("Allow", allow);
                sendError(exchange, 405, "use " + allow + " for " + path + ", not " + exchange.getRequestMethod());
            } else {
                route.handler().handle(exchange, path);
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
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void predictNamed(HttpExchange exchange, String path) throws IOException {
        if (!path.equals("/predictions/" + config.modelName())) {
            sendError(exchange, 404, "model '" + path.substring("/predictions/".length())
                    + "' not found; this server serves '" + config.modelName() + "'");
            return;
        }
        predict(exchange);
    }

    private void predict(HttpExchange exchange) throws IOException {
        byte[] body = readBody(exchange);
        if (body == null) {
            return; // an error was sent
        }
        if (!admitted.tryAcquire()) {
            sendError(exchange, 503, "server busy: " + config.workers() + " running and " + config.queueSize()
                    + " queued requests; retry later");
            return;
        }
        try {
            generating.acquireUninterruptibly();
            try {
                CancellableInput input = new CancellableInput();
                for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
                    if (!h.getValue().isEmpty()) {
                        input.addProperty(h.getKey(), h.getValue().get(0));
                    }
                }
                input.add("data", body);
                Output output;
                DisconnectProbe probe = DisconnectProbe.start(probes, exchange, input, PROBE_MILLIS);
                boolean committed;
                try (Predictor<Input, Output> predictor = model.newPredictor()) {
                    output = predictor.predict(input);
                } catch (TranslateException e) {
                    LOGGER.error("prediction failed", e);
                    output = LayerSkipServingTranslator.error("prediction failed: " + e.getMessage(), 500);
                } finally {
                    committed = probe.stop();
                }
                respond(exchange, input, output, committed);
            } finally {
                generating.release();
            }
        } finally {
            admitted.release();
        }
    }

    /** Reads the body within the size limit; on a problem sends the error and returns null. */
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
        byte[] body;
        // A body that breaks off or has malformed chunking (or trailers, which the JDK server does not read)
        // throws here and the connection is dropped: the JDK server would first drain the rest of the body
        // before answering, which blocks until the read timeout.
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(config.maxRequestBytes() + 1);
        }
        if (body.length > config.maxRequestBytes()) {
            sendError(exchange, 413, "request body exceeds the limit of " + config.maxRequestBytes() + " bytes");
            return null;
        }
        return body;
    }

    private void respond(HttpExchange exchange, Input input, Output output, boolean committed) throws IOException {
        BytesSupplier data = output.getData();
        if (!committed) {
            for (Map.Entry<String, String> p : output.getProperties().entrySet()) {
                exchange.getResponseHeaders().set(p.getKey(), p.getValue());
            }
        } else if (output.getCode() != 200) { // the probe sent 200 already: the error goes into the body
            LOGGER.warn("request failed after its answer started (code {}); the error is in the 200 body", output.getCode());
        }
        if (!(data instanceof ChunkedBytesSupplier chunks)) {
            byte[] bytes = data == null ? new byte[0] : data.getAsBytes();
            if (!committed) {
                exchange.sendResponseHeaders(output.getCode(), bytes.length == 0 ? -1 : bytes.length);
            }
            if (bytes.length > 0) {
                exchange.getResponseBody().write(bytes);
            }
            return;
        }
        if (!committed) {
            exchange.sendResponseHeaders(output.getCode(), 0); // chunked
        }
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
        send(exchange, code, LmiJson.error(message, code));
    }

    private static void send(HttpExchange exchange, int code, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(code, -1);
            return;
        }
        exchange.sendResponseHeaders(code, bytes.length);
        exchange.getResponseBody().write(bytes);
    }
}
