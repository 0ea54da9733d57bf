package dev.layerskip.serving;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

/**
 * The limits the JDK's HTTP server ({@code com.sun.net.httpserver}) only takes from system properties,
 * read once per JVM when its first server is created: {@code sun.net.httpserver.maxReqTime} (seconds a
 * client may take to send a whole request, headers and body, before its connection is closed; this also
 * closes connections that never send a byte), {@code sun.net.httpserver.maxConnections} (open
 * connections; more are closed at once), {@code sun.net.httpserver.maxReqHeaders} and
 * {@code sun.net.httpserver.maxReqHeaderSize} (the number and total size of request headers; a larger
 * request is dropped). A value already set by the user (-D) wins.
 */
final class JdkHttpLimits {

    private static final Logger LOGGER = LoggerFactory.getLogger(JdkHttpLimits.class);
    static final String MAX_REQ_TIME = "sun.net.httpserver.maxReqTime";
    static final String MAX_CONNECTIONS = "sun.net.httpserver.maxConnections";
    static final String MAX_HEADERS = "sun.net.httpserver.maxReqHeaders";
    static final String MAX_HEADER_SIZE = "sun.net.httpserver.maxReqHeaderSize";
    /** The most request headers accepted. */
    static final int HEADERS = 64;
    /** The largest total size of the request headers accepted, in bytes. */
    static final int HEADER_BYTES = 16 * 1024;

    private JdkHttpLimits() {}

    /**
     * Sets the properties unless they are set, and reports the read timeout in force.
     *
     * @param config the server's settings
     * @return the read timeout the JDK server applies in this JVM
     */
    static synchronized Duration apply(ServerConfig config) {
        setIfAbsent(MAX_REQ_TIME, Long.toString(config.readTimeout().toSeconds()));
        setIfAbsent(MAX_CONNECTIONS, Integer.toString(2 * config.maxConnections()));
        setIfAbsent(MAX_HEADERS, Integer.toString(HEADERS));
        setIfAbsent(MAX_HEADER_SIZE, Integer.toString(HEADER_BYTES));
        Duration effective = effectiveReadTimeout();
        if (!effective.equals(config.readTimeout())) {
            LOGGER.warn("read timeout {} s requested, but this JVM's HTTP server uses {} s (-D{}, read once per JVM)",
                    config.readTimeout().toSeconds(), effective.toSeconds(), MAX_REQ_TIME);
        }
        return effective;
    }

    /** @return the read timeout set for the JDK server in this JVM (0 = none) */
    static Duration effectiveReadTimeout() {
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(System.getProperty(MAX_REQ_TIME, "0").trim())));
        } catch (NumberFormatException e) {
            LOGGER.warn("-D{}={} is not a number of seconds; the JDK server ignores it", MAX_REQ_TIME,
                    System.getProperty(MAX_REQ_TIME));
            return Duration.ZERO;
        }
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
