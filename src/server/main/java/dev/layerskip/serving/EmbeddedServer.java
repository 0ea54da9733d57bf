package dev.layerskip.serving;

import ai.djl.inference.Predictor;
import ai.djl.inference.streaming.ChunkedBytesSupplier;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.BytesSupplier;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;

import dev.layerskip.djl.LayerSkipServingTranslator;
import dev.layerskip.djl.LmiJson;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.util.concurrent.DefaultThreadFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A one-machine HTTP server with DJL Serving's endpoints and JSON: {@code GET|HEAD /ping},
 * {@code GET /models}, {@code POST /invocations} and {@code POST /predictions/{model}} (LMI requests,
 * streaming as chunked {@code application/jsonlines}), and the OpenAI-compatible {@code /v1/} endpoints
 * ({@link OpenAiEndpoints}). Requests become {@link Input}s exactly as DJL Serving builds them (the body
 * under "data", headers as properties) and go through a {@link Predictor} of the model, so the answers are
 * the ones DJL Serving gives for {@code serving-config/}.
 *
 * <p>The HTTP layer is Netty's HTTP/1.1 codec on {@value #IO_THREADS} event-loop threads (plus one that
 * accepts); generation runs on {@code workers} worker threads, never on an event loop. Limits: at most
 * {@code workers} requests generate at once and {@code queueSize} more wait (503 beyond); bodies above
 * {@code maxRequestBytes} get 413; request lines above 8 KiB get 414, headers above 16 KiB or 64 fields
 * 431; at most {@code maxConnections} connections are served at once (more get 503 and are closed); a
 * request that does not arrive whole within {@code readTimeout} gets 408 (an idle connection is closed).
 * A malformed request (request line, URI, Content-Length, chunked body) gets 400. Every error has the JSON
 * shape {@code {"error", "code"}} (OpenAI's shape under {@code /v1/}). A client that disconnects cancels its
 * generation, streaming or not. {@link #close()} stops accepting, lets running requests finish within the
 * grace period (returning at once when none runs), then stops.
 */
public final class EmbeddedServer implements AutoCloseable {

    private static final Logger LOGGER = LoggerFactory.getLogger(EmbeddedServer.class);
    /** Event-loop threads that read and write connections (they never generate). */
    static final int IO_THREADS = 2;

    /** Answers one routed request on the event loop. */
    @FunctionalInterface
    private interface Handler {
        void handle(Exchange exchange) throws IOException;
    }

    /** One endpoint: a path (or, with {@code prefix}, every path under it), its methods and its handler. */
    private record Route(String path, boolean prefix, Set<String> methods, Handler handler) {
        boolean matches(String requestPath) {
            return prefix ? requestPath.startsWith(path) : requestPath.equals(path);
        }
    }

    private final ZooModel<Input, Output> model;
    private final ServerConfig config;
    private final Admission admission;
    private final OpenAiEndpoints openAi;
    private final List<Route> routes = new ArrayList<>();
    private final EventLoopGroup acceptor;
    private final EventLoopGroup io;
    private final Channel listener;
    private final ConnectionLimiter limiter;
    private volatile boolean closing;

    private EmbeddedServer(ZooModel<Input, Output> model, ServerConfig config) throws IOException {
        this.model = model;
        this.config = config;
        this.admission = new Admission(config.workers(), config.queueSize());
        this.openAi = new OpenAiEndpoints(model, config, admission);
        route("/ping", false, Set.of("GET", "HEAD"), e -> e.sendJson(200, "{\"status\":\"Healthy\"}"));
        route("/models", false, Set.of("GET"), e -> e.sendJson(200, "{\"models\":[{\"modelName\":\""
                + config.modelName() + "\",\"status\":\"READY\"}]}"));
        route("/invocations", false, Set.of("POST"), this::predict);
        route("/predictions/", true, Set.of("POST"), this::predictNamed);
        this.limiter = new ConnectionLimiter(config.maxConnections(), config.readTimeout(),
                config.maxPendingBytes());
        HttpDecoderConfig decoding = new HttpDecoderConfig().setMaxInitialLineLength(HttpErrors.MAX_REQUEST_LINE)
                .setMaxHeaderSize(HttpErrors.MAX_HEADER_BYTES).setMaxChunkSize(64 * 1024).setStrictLineParsing(true);
        this.acceptor = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("layerskip-http-accept", true),
                NioIoHandler.newFactory());
        this.io = new MultiThreadIoEventLoopGroup(IO_THREADS, new DefaultThreadFactory("layerskip-http-io", true),
                NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap().group(acceptor, io).channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 128)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        HttpConnectionHandler connection = new HttpConnectionHandler(EmbeddedServer.this::handle,
                                config.readTimeout(), config.headerTimeout(), config.chunkTimeout(), () -> closing,
                                limiter::requestArrived);
                        ConnectionLimiter.register(channel, connection);
                        channel.pipeline().addLast(limiter, new HttpRequestDecoder(decoding), new HttpResponseEncoder(),
                                new RequestHeadSignal(connection), new JsonBodyAggregator(config.maxRequestBytes()),
                                connection);
                    }
                });
        ChannelFuture bound = bootstrap.bind(new InetSocketAddress(config.host(), config.port())).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            acceptor.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            io.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            admission.shutdownNow(Duration.ZERO);
            String where = "cannot listen on " + config.host() + ":" + config.port() + ": ";
            if (bound.cause() instanceof BindException e) {
                BindException named = new BindException(where + e.getMessage()
                        + (config.port() == 0 ? "" : " (choose another --port, or 0 for any free port)"));
                named.initCause(e);
                throw named;
            }
            throw new IOException(where + bound.cause(), bound.cause());
        }
        this.listener = bound.channel();
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
        LOGGER.info("serving {} on {}", config.modelName(), s.uri());
        return s;
    }

    /** @return the bound port */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** @return the base URI, e.g. {@code http://127.0.0.1:8080/} */
    public URI uri() {
        return URI.create("http://" + config.host() + ":" + port() + "/");
    }

    /** @return the bytes all connections' unfinished requests hold now (tests) */
    long pendingRequestBytes() {
        return limiter.pendingBytes();
    }

    /** @return the read timeout: the longest a request may take to arrive whole */
    public Duration readTimeout() {
        return config.readTimeout();
    }

    /**
     * Stops the server: new requests get 503, running ones finish within the grace period, then the workers
     * (given 5 s more) and the event loops stop. A caller whose thread is interrupted (as {@code serve} is
     * stopped) still gets this graceful close; its interrupt status is restored on return.
     */
    @Override
    public void close() {
        boolean interrupted = Thread.interrupted(); // otherwise every wait below would end at once
        try {
            closing = true; // new requests get 503
            interrupted |= awaitRunningRequests(System.nanoTime() + config.shutdownGrace().toNanos());
            listener.close().awaitUninterruptibly();
            if (!admission.shutdownNow(Duration.ofSeconds(5))) {
                LOGGER.warn("worker threads still running 5 s after shutdown");
            }
            acceptor.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            io.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // waits until no request runs or the deadline passes; true if interrupted meanwhile (which ends the wait)
    private boolean awaitRunningRequests(long deadline) {
        while (admission.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return true;
            }
        }
        return false;
    }

    /** Routes a well-formed request (on the event loop). */
    private void handle(Exchange exchange) {
        try {
            String path = exchange.path();
            if (closing) {
                exchange.sendError(503, "the server is shutting down");
            } else if (path.startsWith("/v1/")) {
                openAi.handle(exchange);
            } else {
                Route route = routes.stream().filter(r -> r.matches(path)).findFirst().orElse(null);
                if (route == null) {
                    exchange.sendError(404, "no endpoint " + path + " (use /ping, /models, /invocations or /predictions/"
                            + config.modelName() + ")");
                } else if (!route.methods().contains(exchange.method())) {
                    String allow = String.join(", ", route.methods().stream().sorted().toList());
                    exchange.responseHeaders().set("Allow", allow);
                    exchange.sendError(405, "use " + allow + " for " + path + ", not " + exchange.method());
                } else {
                    route.handler().handle(exchange);
                }
            }
        } catch (IOException e) {
            LOGGER.debug("client connection failed: {}", e.toString());
        }
    }

    private void predictNamed(Exchange exchange) throws IOException {
        String path = exchange.path();
        if (!path.equals("/predictions/" + config.modelName())) {
            exchange.sendError(404, "model '" + path.substring("/predictions/".length())
                    + "' not found; this server serves '" + config.modelName() + "'");
            return;
        }
        predict(exchange);
    }

    private void predict(Exchange exchange) throws IOException {
        if (!admission.trySubmit(exchange, () -> generate(exchange))) {
            exchange.sendError(503, "server busy: " + config.workers() + " running and " + config.queueSize()
                    + " queued requests; retry later");
        }
    }

    /** Runs one LMI request on a worker thread. */
    private void generate(Exchange exchange) throws IOException {
        CancellableInput input = new CancellableInput();
        for (String name : exchange.headers().names()) {
            input.addProperty(name, exchange.headers().get(name));
        }
        input.add("data", exchange.body());
        try (Exchange.Registration gone = exchange.onClose(() -> input.setCancelled(true))) { // stop its generation
            Output output;
            try (Predictor<Input, Output> predictor = model.newPredictor()) {
                output = predictor.predict(input);
            } catch (TranslateException e) {
                LOGGER.error("prediction failed", e);
                output = LayerSkipServingTranslator.error("prediction failed: " + e.getMessage(), 500);
            }
            respond(exchange, input, output);
        }
    }

    private void respond(Exchange exchange, Input input, Output output) throws IOException {
        BytesSupplier data = output.getData();
        for (Map.Entry<String, String> p : output.getProperties().entrySet()) {
            exchange.responseHeaders().set(p.getKey(), p.getValue());
        }
        if (!(data instanceof ChunkedBytesSupplier chunks)) {
            exchange.send(output.getCode(), data == null ? new byte[0] : data.getAsBytes());
            return;
        }
        exchange.startStream(output.getCode());
        try {
            while (chunks.hasNext()) {
                exchange.write(chunks.nextChunk(config.chunkTimeout().toMillis(), TimeUnit.MILLISECONDS));
            }
        } catch (IOException e) {
            input.setCancelled(true); // the client went away: stop its generation
            throw e;
        } catch (InterruptedException e) { // the server is closing
            input.setCancelled(true);
            Thread.currentThread().interrupt();
            exchange.write(errorLine("the server is shutting down"));
        } catch (IllegalStateException e) { // chunk timeout
            input.setCancelled(true);
            LOGGER.warn("stream cut: no token within {}", config.chunkTimeout());
            exchange.write(errorLine("no token within " + config.chunkTimeout().toSeconds() + " s; stream cut"));
        }
        exchange.endStream();
    }

    private static byte[] errorLine(String message) {
        return (LmiJson.streamErrorLine(message) + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
