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

/**
 * The first handler of every connection: at most {@code maxConnections} connections are served at once.
 * A connection beyond that is never decoded: when its first bytes arrive it gets a JSON 503 and is closed
 * (see {@link LingeringClose}); a silent
 * one is closed after the read timeout. Also tells the connection's handler when bytes arrive, so a
 * request cut off by the read timeout can be told from an idle connection.
 */
@ChannelHandler.Sharable
final class ConnectionLimiter extends ChannelInboundHandlerAdapter {

    private static final AttributeKey<Boolean> REFUSED = AttributeKey.valueOf("layerskip.refused");
    private static final AttributeKey<HttpConnectionHandler> HANDLER = AttributeKey.valueOf("layerskip.connection");

    private final int maxConnections;
    private final Duration readTimeout;
    private final AtomicInteger served = new AtomicInteger();

    /**
     * @param maxConnections the most connections served at once
     * @param readTimeout how long a refused, silent connection is kept before it is closed
     */
    ConnectionLimiter(int maxConnections, Duration readTimeout) {
        this.maxConnections = maxConnections;
        this.readTimeout = readTimeout;
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
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().attr(REFUSED).get() == null) {
            served.decrementAndGet();
            super.channelInactive(ctx);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        Boolean refused = ctx.channel().attr(REFUSED).get();
        if (refused == null) {
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
}
