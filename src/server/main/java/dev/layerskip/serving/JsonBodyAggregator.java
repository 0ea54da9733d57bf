package dev.layerskip.serving;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;

/**
 * Netty's {@link HttpObjectAggregator} (a request and its body, Content-Length or chunked, become one
 * message; a decoder failure travels on it) with the project's JSON errors: a body above the limit gets a
 * JSON 413 (from its Content-Length before reading, or while reading a chunked body) and the connection
 * closes; a refused {@code Expect} gets a JSON 417 or 413 instead of Netty's empty answers.
 */
final class JsonBodyAggregator extends HttpObjectAggregator {

    private final int maxBytes;

    /** @param maxBytes the largest body accepted */
    JsonBodyAggregator(int maxBytes) {
        super(maxBytes, true);
        this.maxBytes = maxBytes;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        if (!(oversized instanceof HttpRequest request)) {
            ctx.close();
            return;
        }
        LingeringClose.after(ctx.writeAndFlush(HttpErrors.response(request.uri(), 413, "request body exceeds the limit of " + maxBytes
                + " bytes")));
    }

    @Override
    protected Object newContinueResponse(HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
        Object netty = super.newContinueResponse(start, maxContentLength, pipeline);
        if (!(netty instanceof HttpResponse answer) || answer.status().code() < 400 || !(start instanceof HttpRequest request)) {
            return netty;
        }
        int status = answer.status().code();
        ReferenceCountUtil.release(netty);
        return HttpErrors.response(request.uri(), status, status == 413
                ? "request body exceeds the limit of " + maxBytes + " bytes"
                : "the Expect header asks for something this server does not do (only 100-continue)");
    }
}
