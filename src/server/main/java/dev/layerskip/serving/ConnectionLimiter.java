package dev.layerskip.serving;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The first handler of every connection: at most {@code maxConnections} connections are served at once.
 * A connection beyond that is never decoded: when its first bytes arrive it gets a JSON 503 and is closed
 * (see {@link LingeringClose}); a silent one is closed after the read timeout.
 *
 * <p>Memory, not connections, is what slow clients could exhaust: the bytes of every connection's
 * unfinished request are counted together, and the connection whose bytes would pass
 * {@code maxPendingBytes} gets a JSON 503 and is closed (its request is dropped whole). A request stops
 * counting once it arrived whole ({@link #requestArrived}); from then on the generation slots bound it.
 * Also tells the connection's handler when bytes arrive, so its header and read timeouts start at a
 * request's first byte and a request cut off by them can be told from an idle connection.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {

    private static final AttributeKey<Boolean> REFUSED = AttributeKey.valueOf("layerskip.refused");
    private static final AttributeKey<HttpConnectionHandler> HANDLER = AttributeKey.valueOf("layerskip.connection");
    private static final AttributeKey<long[]> HELD = AttributeKey.valueOf("layerskip.held"); // [bytes of the unfinished request]

    private final int maxConnections;
    private final Duration readTimeout;
    private final long maxPendingBytes;
    private final AtomicInteger served = new AtomicInteger();
    private final AtomicLong pending = new AtomicLong();

    /**
     * @param maxConnections the most connections served at once
     * @param readTimeout how long a refused, silent connection is kept before it is closed
     * @param maxPendingBytes the most bytes all connections' unfinished requests may hold together
     */
    ConnectionLimiter(int maxConnections, Duration readTimeout, long maxPendingBytes) {
        this.maxConnections = maxConnections;
        this.readTimeout = readTimeout;
        this.maxPendingBytes = maxPendingBytes;
    }

    /** @return the bytes all connections' unfinished requests hold now */
    long pendingBytes() {
        return pending.get();
    }

    /**
     * The connection's request arrived whole: its bytes stop counting against the pending budget.
     *
     * @param channel the connection
     */
    void requestArrived(io.netty.channel.Channel channel) {
        long[] held = channel.attr(HELD).get();
        if (held != null && held[0] > 0) {
            pending.addAndGet(-held[0]);
            held[0] = 0;
        }
    }

    /** @return the connections being served now */
    int served() {
        return served.get();
    }

    /**
     * Registers the connection's handler, told when bytes arrive.
     *
     * @param channel the connection
     * @param handler its handler
     */
    static void register(io.netty.channel.Channel channel, HttpConnectionHandler handler) {
        channel.attr(HANDLER).set(handler);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (served.incrementAndGet() > maxConnections) {
            served.decrementAndGet();
            ctx.channel().attr(REFUSED).set(Boolean.TRUE);
            ctx.executor().schedule(() -> ctx.close(), readTimeout.toMillis(), TimeUnit.MILLISECONDS);
            return; // the HTTP handlers never see this connection
        }
        ctx.channel().attr(HELD).set(new long[1]);
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().attr(REFUSED).get() == null) {
            served.decrementAndGet();
            requestArrived(ctx.channel()); // or never will: its bytes are freed
            super.channelInactive(ctx);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        Boolean refused = ctx.channel().attr(REFUSED).get();
        if (refused == null) {
            if (msg instanceof ByteBuf bytes && !withinBudget(ctx, bytes.readableBytes())) {
                ReferenceCountUtil.release(msg);
                return;
            }
            HttpConnectionHandler handler = ctx.channel().attr(HANDLER).get();
            if (handler != null) {
                handler.bytesArrived();
            }
            super.channelRead(ctx, msg);
            return;
        }
        try {
            if (refused) {
                ctx.channel().attr(REFUSED).set(Boolean.FALSE); // answered once
                String start = msg instanceof ByteBuf b ? b.toString(b.readerIndex(), Math.min(b.readableBytes(), 16),
                        StandardCharsets.ISO_8859_1) : "";
                String path = start.matches("[A-Z]+ /v1/.*") ? "/v1/" : null;
                LingeringClose.after(ctx.writeAndFlush(Unpooled.wrappedBuffer(HttpErrors.rawResponse(path, 503,
                        "Service Unavailable", "server busy: " + maxConnections + " connections are open, the most this"
                        + " server serves at once; retry later"))));
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /** Counts bytes of the connection's unfinished request; past the budget answers 503, closes, and returns false. */
    private boolean withinBudget(ChannelHandlerContext ctx, int bytes) {
        long[] held = ctx.channel().attr(HELD).get();
        if (held == null || held[0] < 0) {
            return held == null; // -1: answered 503 already, later bytes are dropped
        }
        held[0] += bytes;
        if (pending.addAndGet(bytes) <= maxPendingBytes) {
            return true;
        }
        pending.addAndGet(-held[0]);
        held[0] = -1;
        HttpConnectionHandler handler = ctx.channel().attr(HANDLER).get();
        if (handler != null) {
            handler.abandon(); // no 408 after this answer
        }
        LingeringClose.after(ctx.writeAndFlush(Unpooled.wrappedBuffer(HttpErrors.rawResponse(null, 503,
                "Service Unavailable", "server busy: unfinished requests hold the most bytes this server keeps ("
                + maxPendingBytes + "); retry later"))));
        return false;
    }
}
