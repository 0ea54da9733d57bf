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
 * @param shutdownGrace how long {@code close()} waits for running requests
 */
public record ServerConfig(String host, int port, String modelName, int workers, int queueSize,
        int maxRequestBytes, Duration chunkTimeout, Duration shutdownGrace) {

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
        if (workers < 1) {
            throw new IllegalArgumentException("workers must be >= 1, got " + workers);
        }
        if (queueSize < 0) {
            throw new IllegalArgumentException("queue size must be >= 0, got " + queueSize);
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
    }
}
