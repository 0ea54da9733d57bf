package dev.layerskip.serving;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * One connection of the embedded server, on its Netty event loop: times out a request whose line and
 * headers do not arrive within the header timeout, or which does not arrive whole within the read timeout,
 * both counted from its first byte (408 JSON; an idle connection is just closed after the read timeout), answers every request the decoder marked as malformed with the JSON error and closes, checks
 * the HTTP version, header count and URI, then hands the request to the dispatcher as an {@link Exchange}.
 * One request at a time per connection: a pipelined next request waits until the answer is sent; a third
 * closes the connection.
 */
final class HttpConnectionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOGGER = LoggerFactory.getLogger(HttpConnectionHandler.class);

    private final Consumer<Exchange> dispatcher;
    /** What the connection waits for when its deadline fires. */
    private enum Awaiting { NEXT_REQUEST, HEADERS, BODY }

    private final Duration readTimeout;
    private final Duration headerTimeout;
    private final Duration writeTimeout;
    private final BooleanSupplier closing;
    private final Consumer<io.netty.channel.Channel> requestArrived;
    private ChannelHandlerContext context;
    private ScheduledFuture<?> deadline;
    private Awaiting awaiting = Awaiting.NEXT_REQUEST;
    private long firstByteNanos;
    private boolean bytesSeen;
    private boolean busy;
    private FullHttpRequest pending;

    /**
     * @param dispatcher answers a well-formed request (called on the event loop)
     * @param readTimeout the longest a request may take to arrive whole, from its first byte
     * @param headerTimeout the longest its line and headers may take, from its first byte
     * @param writeTimeout the longest a write may wait for the client
     * @param closing whether the server is shutting down (answers then close the connection)
     * @param requestArrived told when a request arrived whole (its bytes no longer count as pending)
     */
    HttpConnectionHandler(Consumer<Exchange> dispatcher, Duration readTimeout, Duration headerTimeout,
            Duration writeTimeout, BooleanSupplier closing, Consumer<io.netty.channel.Channel> requestArrived) {
        this.dispatcher = dispatcher;
        this.readTimeout = readTimeout;
        this.headerTimeout = headerTimeout;
        this.writeTimeout = writeTimeout;
        this.closing = closing;
        this.requestArrived = requestArrived;
    }

    /** Called by the first handler of the pipeline whenever bytes arrive, before they are decoded. */
    void bytesArrived() {
        if (!bytesSeen) {
            bytesSeen = true;
            firstByteNanos = System.nanoTime();
            if (!busy) {
                armDeadline(Awaiting.HEADERS, headerTimeout.toNanos()); // a request started: its headers are due
            }
        }
    }

    /** Called when a request's line and headers were decoded: the rest is due within the read timeout. */
    void headArrived() {
        if (!busy && awaiting == Awaiting.HEADERS) {
            armDeadline(Awaiting.BODY, readTimeout.toNanos() - (System.nanoTime() - firstByteNanos));
        }
    }

    /** The connection was answered by the pipeline's first handler and closes: no deadline answers it again. */
    void abandon() {
        busy = true;
        cancelDeadline();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        context = ctx;
        armDeadline(Awaiting.NEXT_REQUEST, readTimeout.toNanos());
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelDeadline();
        if (pending != null) {
            pending.release();
            pending = null;
        }
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        cancelDeadline();
        bytesSeen = false;
        requestArrived.accept(ctx.channel());
        if (busy) {
            if (pending != null) { // more than one request ahead of its answer: not served
                request.release();
                ctx.close();
            } else {
                pending = request;
            }
            return;
        }
        process(request);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOGGER.debug("connection failed: {}", cause.toString());
        ctx.close();
    }

    private void process(FullHttpRequest request) {
        busy = true;
        Exchange exchange;
        try {
            exchange = exchange(request);
        } finally {
            request.release();
        }
        if (exchange == null) {
            return; // answered with an error, the connection closes
        }
        try {
            dispatcher.accept(exchange);
        } catch (RuntimeException e) {
            LOGGER.error("request failed", e);
            if (!exchange.answered()) {
                try {
                    exchange.sendError(500, "internal error: " + e);
                } catch (java.io.IOException gone) {
                    LOGGER.debug("client gone before the error could be sent: {}", gone.toString());
                }
            }
            exchange.abortIfUnfinished();
        }
    }

    /** Checks the request; answers an error and returns null when it cannot be served. */
    private Exchange exchange(FullHttpRequest request) {
        DecoderResult result = request.decoderResult();
        String uri = request.uri();
        if (result.isFailure()) {
            HttpErrors.Problem problem = HttpErrors.of(result.cause());
            if (problem == null) {
                context.close();
            } else {
                fail(uri.startsWith("/v1/") ? uri : null, problem.status(), problem.message());
            }
            return null;
        }
        if (!request.protocolVersion().equals(HttpVersion.HTTP_1_1) && !request.protocolVersion().equals(HttpVersion.HTTP_1_0)) {
            fail(null, 505, "HTTP version " + request.protocolVersion().text() + " is not supported; use HTTP/1.1");
            return null;
        }
        if (request.headers().size() > HttpErrors.MAX_HEADERS) {
            fail(null, 431, "the request has " + request.headers().size() + " header fields; at most "
                    + HttpErrors.MAX_HEADERS + " are accepted");
            return null;
        }
        String target = originForm(uri);
        if (target == null) {
            fail(null, 400, "malformed request target: it must be a path starting with '/' (or an absolute http URI)");
            return null;
        }
        String path;
        try {
            path = new QueryStringDecoder(target).path();
        } catch (IllegalArgumentException e) {
            fail(null, 400, "malformed URI: bad percent-encoding in the path");
            return null;
        }
        if (path.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
            fail(null, 400, "malformed URI: the path holds a control character");
            return null;
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request) && !closing.getAsBoolean();
        byte[] body = ByteBufUtil.getBytes(request.content());
        return new Exchange(context.channel(), request.method().name(), path, request.headers(), body, keepAlive,
                writeTimeout, () -> context.executor().execute(this::finished));
    }

    /** The path and query of a request target (origin form, or absolute form as a proxy sends it); null if neither. */
    private static String originForm(String uri) {
        if (uri.startsWith("/")) {
            return uri;
        }
        if (!uri.regionMatches(true, 0, "http://", 0, 7) && !uri.regionMatches(true, 0, "https://", 0, 8)) {
            return null;
        }
        try {
            java.net.URI parsed = new java.net.URI(uri);
            String path = parsed.getRawPath() == null || parsed.getRawPath().isEmpty() ? "/" : parsed.getRawPath();
            return parsed.getRawQuery() == null ? path : path + "?" + parsed.getRawQuery();
        } catch (java.net.URISyntaxException e) {
            return null;
        }
    }

    /** The answer went out and the connection stays open: serve a waiting request or wait for the next. */
    private void finished() {
        busy = false;
        if (!context.channel().isActive()) {
            return;
        }
        if (pending != null) {
            FullHttpRequest next = pending;
            pending = null;
            process(next);
        } else if (bytesSeen) { // part of the next request arrived during the answer: its headers are due now
            firstByteNanos = System.nanoTime();
            armDeadline(Awaiting.HEADERS, headerTimeout.toNanos());
        } else {
            armDeadline(Awaiting.NEXT_REQUEST, readTimeout.toNanos());
        }
    }

    private void fail(String path, int status, String message) {
        LingeringClose.after(context.writeAndFlush(HttpErrors.response(path, status, message)));
    }

    private void armDeadline(Awaiting what, long nanos) {
        cancelDeadline();
        awaiting = what;
        deadline = context.executor().schedule(this::timedOut, Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void timedOut() {
        deadline = null;
        if (busy || !context.channel().isActive()) {
            return;
        }
        if (!bytesSeen) {
            context.close(); // an idle connection
            return;
        }
        busy = true; // nothing more is read from this connection
        fail(null, 408, awaiting == Awaiting.BODY
                ? "the request did not arrive whole within " + readTimeout.toSeconds() + " s"
                : "the request line and headers did not arrive within " + headerTimeout.toSeconds() + " s");
    }
}
