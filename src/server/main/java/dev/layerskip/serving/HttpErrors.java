package dev.layerskip.serving;

import dev.layerskip.djl.LmiJson;
import dev.layerskip.protocol.openai.OpenAiJson;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.http.ContentLengthNotAllowedException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.InvalidChunkExtensionException;
import io.netty.handler.codec.http.InvalidChunkTerminationException;
import io.netty.handler.codec.http.InvalidLineSeparatorException;
import io.netty.handler.codec.http.TooLongHttpContentException;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http.TransferEncodingNotAllowedException;

import java.nio.charset.StandardCharsets;

/**
 * The embedded server's HTTP-layer errors: what a malformed request (as Netty's decoder reports it) is
 * answered with, and the JSON error body in the shape of the endpoint family the path belongs to: the
 * OpenAI shape {@code {"error": {"message", "type", "param", "code"}}} under {@code /v1/}, DJL Serving's
 * {@code {"error", "code"}} elsewhere (and when the path is unknown because the request line was unreadable).
 */
final class HttpErrors {

    /** The longest request line accepted (method, URI and version), in bytes. */
    static final int MAX_REQUEST_LINE = 8 * 1024;
    /** The largest total size of the request headers accepted, in bytes. */
    static final int MAX_HEADER_BYTES = 16 * 1024;
    /** The most request header fields accepted. */
    static final int MAX_HEADERS = 64;

    /** A status and the project's words for it. */
    record Problem(int status, String message) {}

    private HttpErrors() {}

    /**
     * Says what a decoder failure means for the client.
     *
     * @param cause the failure Netty's HTTP decoder recorded on the request
     * @return the status and message, or null when no answer is possible (the client closed mid-request)
     */
    static Problem of(Throwable cause) {
        String detail = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        if (cause instanceof PrematureChannelClosureException) {
            return null;
        }
        if (cause instanceof TooLongHttpLineException) {
            return new Problem(414, "the request line (method, URI and version) is longer than " + MAX_REQUEST_LINE
                    + " bytes");
        }
        if (cause instanceof TooLongHttpHeaderException) {
            return new Problem(431, "the request headers exceed " + MAX_HEADER_BYTES + " bytes");
        }
        if (cause instanceof TooLongHttpContentException) {
            return new Problem(413, "the request body is too large");
        }
        if (cause instanceof ContentLengthNotAllowedException) {
            return new Problem(400, "a request may not carry both Content-Length and Transfer-Encoding");
        }
        if (cause instanceof TransferEncodingNotAllowedException) {
            return new Problem(400, "Transfer-Encoding is only allowed in HTTP/1.1 requests");
        }
        if (cause instanceof InvalidLineSeparatorException) {
            return new Problem(400, "malformed request: lines must end with CR LF");
        }
        if (cause instanceof InvalidChunkExtensionException || cause instanceof InvalidChunkTerminationException
                || cause instanceof NumberFormatException && detail.toLowerCase(java.util.Locale.ROOT).contains("chunk")) {
            return new Problem(400, "malformed chunked body: " + detail);
        }
        if (detail.startsWith("No colon found")) {
            return new Problem(400, "malformed request: a header or trailer line has no ':'");
        }
        if (detail.contains("HTTP/0.9") || detail.startsWith("invalid version format")) {
            return new Problem(400, "malformed request: the request line must be 'METHOD /path HTTP/1.1'");
        }
        if (detail.contains("Content-Length") || detail.contains("content length")) {
            return new Problem(400, "malformed Content-Length: " + detail);
        }
        return new Problem(400, "malformed request: " + detail);
    }

    /**
     * The JSON error body for a path.
     *
     * @param path the request path (may be null when the request line could not be read)
     * @param status the HTTP status
     * @param message what is wrong
     * @return the JSON bytes
     */
    static byte[] body(String path, int status, String message) {
        String json = path != null && path.startsWith("/v1/")
                ? OpenAiJson.error(message, status >= 500 ? "server_error" : "invalid_request_error", null, openAiCode(status))
                : LmiJson.error(message, status);
        return json.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * A complete JSON error response that closes the connection.
     *
     * @param path the request path (chooses the LMI or OpenAI error shape)
     * @param status the HTTP status
     * @param message what went wrong
     * @return the response, ready to write
     */
    static FullHttpResponse response(String path, int status, String message) {
        byte[] body = body(path, status, message);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return response;
    }

    private static String openAiCode(int status) {
        return switch (status) {
            case 408 -> "request_timeout";
            case 413 -> "request_too_large";
            case 414 -> "uri_too_long";
            case 431 -> "headers_too_large";
            case 503 -> "overloaded";
            case 505 -> "http_version_not_supported";
            default -> null;
        };
    }

    /**
     * A whole HTTP/1.1 error response as raw bytes (for a connection refused before any HTTP handler runs).
     *
     * @param path the request path, if known
     * @param status the HTTP status
     * @param reason the reason phrase
     * @param message what is wrong
     * @return the response bytes, with {@code Connection: close}
     */
    static byte[] rawResponse(String path, int status, String reason, String message) {
        byte[] body = body(path, status, message);
        byte[] head = ("HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[head.length + body.length];
        System.arraycopy(head, 0, all, 0, head.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }
}
