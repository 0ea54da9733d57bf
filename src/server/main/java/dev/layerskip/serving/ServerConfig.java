package dev.layerskip.serving;

import java.time.Duration;

/**
 * Settings of the {@link EmbeddedServer}.
 *
 * @param host the address to bind (127.0.0.1 by default: reachable from this machine only)
 * @param port the port, 0 for any free port
 * @param modelName the name in {@code /predictions/{model}}
 * @param workers how many requests generate at once
 * @param queueSize how many more requests may wait; beyond that the server answers 503
 * @param maxRequestBytes the largest request body accepted (413 beyond)
 * @param chunkTimeout the longest wait for the next streamed token before the stream is cut
 * @param shutdownGrace how long {@code close()} waits for running requests (it returns at once when none runs)
 * @param maxConnections the most connections open at once (more than workers + queueSize); a connection
 *     beyond it gets a JSON 503 when it sends its first bytes and is closed. Connections cost no thread (a
 *     fixed few event-loop threads serve them all) and no generation slot: only their unfinished requests
 *     hold memory, bounded by {@code maxPendingBytes}
 * @param readTimeout the longest a client may take to send a whole request (headers and body) from its first
 *     byte: a partial request then gets a JSON 408 and its connection is closed; an idle connection (no byte
 *     of a next request) is closed after it too
 * @param headerTimeout the longest a client may take to send a request's line and headers from its first
 *     byte, at most {@code readTimeout}: slower clients get 408 and are closed
 * @param maxPendingBytes the most bytes of unfinished requests all connections may hold together (at least
 *     {@code maxRequestBytes}); the connection whose bytes would pass it gets 503 and is closed
 */
public record ServerConfig(String host, int port, String modelName, int workers, int queueSize,
        int maxRequestBytes, Duration chunkTimeout, Duration shutdownGrace, int maxConnections, Duration readTimeout,
        Duration headerTimeout, long maxPendingBytes) {

    /** The default {@code maxConnections}: within the usual 20,000-descriptor limit of a process. */
    public static final int DEFAULT_MAX_CONNECTIONS = 10_000;
    /** The default {@code readTimeout}. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);
    /** The default {@code headerTimeout} (or the read timeout, when that is shorter). */
    public static final Duration DEFAULT_HEADER_TIMEOUT = Duration.ofSeconds(3);
    /** The default {@code maxPendingBytes} (or 4 x {@code maxRequestBytes}, when that is larger). */
    public static final long DEFAULT_MAX_PENDING_BYTES = 64L << 20;

    /** Validates the fields. */
    public ServerConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in 0..65535, got " + port);
        }
        if (modelName == null || !modelName.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("model name must be letters, digits, '.', '_' or '-', got '" + modelName + "'");
        }
        if (workers < 1 || workers > 1024) {
            throw new IllegalArgumentException("workers must be in 1..1024, got " + workers);
        }
        if (queueSize < 0 || queueSize > 65536) {
            throw new IllegalArgumentException("queue size must be in 0..65536, got " + queueSize);
        }
        if (maxRequestBytes < 1 || maxRequestBytes > (1 << 30)) {
            throw new IllegalArgumentException("max request bytes must be in 1..1073741824, got " + maxRequestBytes);
        }
        if (chunkTimeout == null || chunkTimeout.isNegative() || chunkTimeout.isZero()) {
            throw new IllegalArgumentException("chunk timeout must be positive, got " + chunkTimeout);
        }
        if (shutdownGrace == null || shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdown grace must be >= 0, got " + shutdownGrace);
        }
        if (maxConnections <= workers + queueSize || maxConnections > 100_000) {
            throw new IllegalArgumentException("max connections must exceed workers + queue size (" + (workers + queueSize)
                    + ") and be at most 100000, got " + maxConnections);
        }
        if (readTimeout == null || readTimeout.toSeconds() < 1) {
            throw new IllegalArgumentException("read timeout must be at least 1 s, got " + readTimeout);
        }
        if (headerTimeout == null || headerTimeout.toSeconds() < 1 || headerTimeout.compareTo(readTimeout) > 0) {
            throw new IllegalArgumentException("header timeout must be at least 1 s and at most the read timeout ("
                    + readTimeout.toSeconds() + " s), got " + headerTimeout);
        }
        if (maxPendingBytes < maxRequestBytes || maxPendingBytes > (1L << 40)) {
            throw new IllegalArgumentException("max pending bytes must be at least max request bytes (" + maxRequestBytes
                    + ") and at most 2^40, got " + maxPendingBytes);
        }
    }

    /**
     * Settings with the default header timeout ({@link #DEFAULT_HEADER_TIMEOUT}, at most {@code readTimeout})
     * and pending-bytes budget ({@link #DEFAULT_MAX_PENDING_BYTES}, at least 4 x {@code maxRequestBytes}).
     *
     * @param host the address to bind
     * @param port the port, 0 for any free port
     * @param modelName the name in {@code /predictions/{model}}
     * @param workers how many requests generate at once
     * @param queueSize how many more requests may wait
     * @param maxRequestBytes the largest request body accepted
     * @param chunkTimeout the longest wait for the next streamed token
     * @param shutdownGrace how long {@code close()} waits for running requests
     * @param maxConnections the most connections open at once
     * @param readTimeout the longest a request may take to arrive whole
     */
    public ServerConfig(String host, int port, String modelName, int workers, int queueSize, int maxRequestBytes,
            Duration chunkTimeout, Duration shutdownGrace, int maxConnections, Duration readTimeout) {
        this(host, port, modelName, workers, queueSize, maxRequestBytes, chunkTimeout, shutdownGrace, maxConnections,
                readTimeout, readTimeout == null || DEFAULT_HEADER_TIMEOUT.compareTo(readTimeout) < 0
                        ? DEFAULT_HEADER_TIMEOUT : readTimeout,
                Math.max(DEFAULT_MAX_PENDING_BYTES, 4L * maxRequestBytes));
    }

    /**
     * Settings with the default connection bound ({@value #DEFAULT_MAX_CONNECTIONS}), timeouts
     * ({@link #DEFAULT_READ_TIMEOUT}, {@link #DEFAULT_HEADER_TIMEOUT}) and pending-bytes budget.
     *
     * @param host the address to bind
     * @param port the port, 0 for any free port
     * @param modelName the name in {@code /predictions/{model}}
     * @param workers how many requests generate at once
     * @param queueSize how many more requests may wait
     * @param maxRequestBytes the largest request body accepted
     * @param chunkTimeout the longest wait for the next streamed token
     * @param shutdownGrace how long {@code close()} waits for running requests
     */
    public ServerConfig(String host, int port, String modelName, int workers, int queueSize,
            int maxRequestBytes, Duration chunkTimeout, Duration shutdownGrace) {
        this(host, port, modelName, workers, queueSize, maxRequestBytes, chunkTimeout, shutdownGrace,
                Math.max(DEFAULT_MAX_CONNECTIONS, workers + queueSize + 1), DEFAULT_READ_TIMEOUT);
    }
}
