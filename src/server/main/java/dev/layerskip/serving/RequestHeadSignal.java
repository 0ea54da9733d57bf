package dev.layerskip.serving;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpRequest;

/**
 * Sits between the HTTP decoder and the body aggregator and tells the connection's handler when a
 * request's line and headers were decoded, so its header timeout ends and its read timeout goes on.
 */
final class RequestHeadSignal extends ChannelInboundHandlerAdapter {

    private final HttpConnectionHandler connection;

    /** @param connection the connection's handler */
    RequestHeadSignal(HttpConnectionHandler connection) {
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest) {
            connection.headArrived();
        }
        ctx.fireChannelRead(msg);
    }
}
