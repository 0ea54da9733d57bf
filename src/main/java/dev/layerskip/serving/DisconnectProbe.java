package dev.layerskip.serving;

import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Notices that the client of a non-streaming request went away while its answer is generated, so the
 * generation can be cancelled as a stream's is. The JDK server gives no access to the socket, so once
 * the generation has produced its first token (the request was valid), the probe sends the 200 headers
 * and then one space (JSON allows leading whitespace) per period: writing to a closed connection fails,
 * and the failure cancels the input. Answers faster than the first period are never affected.
 */
final class DisconnectProbe implements Runnable {

    private final HttpExchange exchange;
    private final CancellableInput input;
    private ScheduledFuture<?> task;
    private boolean committed;
    private boolean stopped;

    private DisconnectProbe(HttpExchange exchange, CancellableInput input) {
        this.exchange = exchange;
        this.input = input;
    }

    /**
     * Starts probing.
     *
     * @param timer the scheduler
     * @param exchange the exchange whose client is watched
     * @param input the input to cancel when the client is gone
     * @param periodMillis the probe period
     * @return the running probe; {@link #stop()} it before answering
     */
    static DisconnectProbe start(ScheduledExecutorService timer, HttpExchange exchange, CancellableInput input,
            long periodMillis) {
        DisconnectProbe probe = new DisconnectProbe(exchange, input);
        probe.task = timer.scheduleWithFixedDelay(probe, periodMillis, periodMillis, TimeUnit.MILLISECONDS);
        return probe;
    }

    @Override
    public synchronized void run() {
        if (stopped || !input.generationStarted() || input.cancelRequested()) {
            return;
        }
        try {
            OutputStream out = exchange.getResponseBody();
            if (!committed) {
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, 0); // chunked: the length is not known yet
                committed = true;
            }
            out.write(' ');
            out.flush();
        } catch (IOException e) {
            input.setCancelled(true); // the client is gone: stop its generation
            stopped = true;
        }
    }

    /**
     * Stops probing; no probe write runs after this returns.
     *
     * @return whether the 200 headers were already sent (the answer then goes into the open body)
     */
    synchronized boolean stop() {
        stopped = true;
        task.cancel(false);
        return committed;
    }
}
