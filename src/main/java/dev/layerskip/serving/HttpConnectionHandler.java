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
 * One connection of the embedded server, on its Netty event loop: times out a request that does not
 * arrive whole within the read timeout (408 JSON once part of it arrived; an idle connection is just
 * closed), answers every request the decoder marked as malformed with the JSON error and closes, checks
 * the HTTP version, header count and URI, then hands the request to the dispatcher as an {@link Exchange}.
 * One request at a time per connection: a pipelined next request waits until the answer is sent; a third
 * closes the connection.
 */
final class HttpConnectionHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOGGER = LoggerFactory.getLogger(HttpConnectionHandler.class);

    private final Consumer<Exchange> dispatcher;
    private final Duration readTimeout;
    private final Duration writeTimeout;
    private final BooleanSupplier closing;
    private ChannelHandlerContext context;
    private ScheduledFuture<?> deadline;
    private boolean bytesSeen;
    private boolean busy;
    private FullHttpRequest pending;

    /**
     * @param dispatcher answers a well-formed request (called on the event loop)
     * @param readTimeout the longest a request may take to arrive whole
     * @param writeTimeout the longest a write may wait for the client
     * @param closing whether the server is shutting down (answers then close the connection)
     */
    HttpConnectionHandler(Consumer<Exchange> dispatcher, Duration readTimeout, Duration writeTimeout, BooleanSupplier closing) {
        this.dispatcher = dispatcher;
        this.readTimeout = readTimeout;
        this.writeTimeout = writeTimeout;
        this.closing = closing;
    }

    /** Called by the first handler of the pipeline whenever bytes arrive, before they are decoded. */
    void bytesArrived() {
        bytesSeen = true;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        context = ctx;
        armDeadline();
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
        } else {
            armDeadline();
        }
    }

    private void fail(String path, int status, String message) {
        LingeringClose.after(context.writeAndFlush(HttpErrors.response(path, status, message)));
    }

    private void armDeadline() {
        cancelDeadline();
        deadline = context.executor().schedule(this::timedOut, readTimeout.toMillis(), TimeUnit.MILLISECONDS);
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
        if (bytesSeen) {
            busy = true; // nothing more is read from this connection
            fail(null, 408, "the request did not arrive whole within " + readTimeout.toSeconds() + " s");
        } else {
            context.close(); // an idle connection
        }
    }
}
