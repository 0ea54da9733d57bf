package dev.layerskip.serving;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One request the embedded server received whole (method, decoded path, headers, body), and its answer:
 * either {@link #send} once, or {@link #startStream}, {@link #write}s and {@link #endStream} (chunked).
 * Answering is safe from any thread; off the event loop each write waits until the client took it (at most
 * the write timeout, then the connection is closed), so a stream runs at the client's pace and a client
 * that left fails the next write with an {@link IOException}. {@link #onClose} tells a generation that
 * its client left, streaming or not.
 */
final class Exchange {

    private final Channel channel;
    private final String method;
    private final String path;
    private final HttpHeaders headers;
    private final byte[] body;
    private final boolean keepAlive;
    private final Duration writeTimeout;
    private final Runnable finished;
    private final HttpHeaders responseHeaders = new DefaultHttpHeaders();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean done = new AtomicBoolean();

    /**
     * @param channel the connection
     * @param method the request method
     * @param path the percent-decoded path
     * @param headers the request headers
     * @param body the request body
     * @param keepAlive whether the connection stays open after the answer
     * @param writeTimeout the longest a write may wait for the client
     * @param finished run once when the answer is complete and the connection stays open
     */
    Exchange(Channel channel, String method, String path, HttpHeaders headers, byte[] body, boolean keepAlive,
            Duration writeTimeout, Runnable finished) {
        this.channel = channel;
        this.method = method;
        this.path = path;
        this.headers = headers;
        this.body = body;
        this.keepAlive = keepAlive;
        this.writeTimeout = writeTimeout;
        this.finished = finished;
    }

    String method() {
        return method;
    }

    String path() {
        return path;
    }

    HttpHeaders headers() {
        return headers;
    }

    byte[] body() {
        return body;
    }

    /** @return the headers the answer will carry (set them before sending) */
    HttpHeaders responseHeaders() {
        return responseHeaders;
    }

    /** @return whether the client is still connected */
    boolean isOpen() {
        return channel.isActive();
    }

    /** @return whether the status line has been sent */
    boolean answered() {
        return started.get();
    }

    /** A registration made by {@link #onClose}; closing it removes the action (a keep-alive connection lives on). */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Runs an action once the connection closes (at once if it is closed), until the registration is closed.
     *
     * @param action what to do, e.g. cancel a generation
     * @return the registration, to close when the request is answered
     */
    Registration onClose(Runnable action) {
        io.netty.util.concurrent.GenericFutureListener<io.netty.util.concurrent.Future<? super Void>> listener =
                f -> action.run();
        channel.closeFuture().addListener(listener);
        return () -> channel.closeFuture().removeListener(listener);
    }

    /**
     * Sends a JSON answer.
     *
     * @param status the status
     * @param json the body
     * @throws IOException if the client is gone
     */
    void sendJson(int status, String json) throws IOException {
        responseHeaders.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        send(status, json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /**
     * Sends the project's JSON error for this path (see {@link HttpErrors#body}).
     *
     * @param status the status
     * @param message what is wrong
     * @throws IOException if the client is gone
     */
    void sendError(int status, String message) throws IOException {
        responseHeaders.set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        send(status, HttpErrors.body(path, status, message));
    }

    /**
     * Sends a whole answer (without the body for HEAD).
     *
     * @param status the status
     * @param bytes the body
     * @throws IOException if the client is gone
     */
    void send(int status, byte[] bytes) throws IOException {
        begin();
        boolean head = method.equals("HEAD");
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
        response.headers().set(responseHeaders);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        finish(response);
    }

    /**
     * Sends the status line and headers of a chunked answer.
     *
     * @param status the status
     * @throws IOException if the client is gone
     */
    void startStream(int status) throws IOException {
        begin();
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        response.headers().set(responseHeaders);
        response.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        await(channel.writeAndFlush(response));
    }

    /**
     * Sends one piece of a chunked answer and waits until the client took it.
     *
     * @param bytes the piece
     * @throws IOException if the client is gone or does not read within the write timeout
     */
    void write(byte[] bytes) throws IOException {
        await(channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(bytes))));
    }

    /**
     * Ends a chunked answer.
     *
     * @throws IOException if the client is gone
     */
    void endStream() throws IOException {
        finish(LastHttpContent.EMPTY_LAST_CONTENT);
    }

    /** Closes the connection if the answer was not completed (a failure cut it short). */
    void abortIfUnfinished() {
        if (done.compareAndSet(false, true)) {
            channel.close();
        }
    }

    private void begin() throws IOException {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("the answer to " + method + " " + path + " was already started");
        }
        if (!channel.isActive()) {
            throw new IOException("the client closed the connection");
        }
    }

    private void finish(Object last) throws IOException {
        if (!done.compareAndSet(false, true)) {
            throw new IllegalStateException("the answer to " + method + " " + path + " was already completed");
        }
        if (!keepAlive && last instanceof HttpResponse response) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ChannelFuture written = channel.writeAndFlush(last);
        if (keepAlive) {
            written.addListener(f -> {
                if (f.isSuccess()) {
                    finished.run();
                } else {
                    channel.close();
                }
            });
        } else {
            written.addListener(ChannelFutureListener.CLOSE);
        }
        await(written);
    }

    private void await(ChannelFuture future) throws IOException {
        if (channel.eventLoop().inEventLoop()) {
            return; // quick answers written on the event loop are not waited for
        }
        if (!future.awaitUninterruptibly(writeTimeout.toMillis())) {
            channel.close();
            throw new IOException("the client did not read the answer within " + writeTimeout.toSeconds() + " s");
        }
        if (!future.isSuccess()) {
            throw new IOException("the client closed the connection", future.cause());
        }
    }
}
