package dev.layerskip.serving;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
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
        LingeringClose.after(ctx.writeAndFlush(response(request.uri(), 413, "request body exceeds the limit of " + maxBytes
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
        return response(request.uri(), status, status == 413
                ? "request body exceeds the limit of " + maxBytes + " bytes"
                : "the Expect header asks for something this server does not do (only 100-continue)");
    }

    private static FullHttpResponse response(String uri, int status, String message) {
        byte[] body = HttpErrors.body(uri, status, message);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return response;
    }
}
