package dev.layerskip.serving;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The embedded server's generation slots: {@code workers} threads run requests (generation is a blocking
 * call, so it never runs on a Netty event loop) and at most {@code queueSize} more wait in order; a request
 * beyond that is refused at once (the caller answers 503). A request whose client left while it waited is
 * skipped.
 */
final class Admission {

    private static final Logger LOGGER = LoggerFactory.getLogger(Admission.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    /** A request's work on a worker thread. */
    @FunctionalInterface
    interface Work {
        /**
         * Answers the request.
         *
         * @throws IOException if the client is gone
         */
        void run() throws IOException;
    }

    private final Semaphore admitted;
    private final ThreadPoolExecutor pool;
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * @param workers requests that run at once
     * @param queueSize requests that may wait
     */
    Admission(int workers, int queueSize) {
        this.admitted = new Semaphore(workers + queueSize);
        this.pool = new ThreadPoolExecutor(workers, workers, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "layerskip-http-worker-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
    }

    /**
     * Runs the work on a worker thread if a slot is free. Whatever happens, the exchange is answered: a
     * failure that escapes the work answers 500 (or closes the connection if the answer had started).
     *
     * @param exchange the request
     * @param work its work
     * @return false when every slot is taken (nothing was started; the caller answers 503)
     */
    boolean trySubmit(Exchange exchange, Work work) {
        if (!admitted.tryAcquire()) {
            return false;
        }
        inFlight.incrementAndGet();
        try {
            pool.execute(() -> run(exchange, work));
            return true;
        } catch (RejectedExecutionException e) { // the server is closing
            inFlight.decrementAndGet();
            admitted.release();
            return false;
        }
    }

    private void run(Exchange exchange, Work work) {
        try {
            if (exchange.isOpen()) {
                work.run();
            }
        } catch (IOException e) {
            LOGGER.debug("client connection failed: {}", e.toString());
        } catch (RuntimeException e) {
            LOGGER.error("request failed", e);
            if (!exchange.answered() && exchange.isOpen()) {
                try {
                    exchange.sendError(500, "internal error: " + e);
                } catch (IOException gone) {
                    LOGGER.debug("client gone before the error could be sent: {}", gone.toString());
                }
            }
        } finally {
            exchange.abortIfUnfinished();
            admitted.release();
            inFlight.decrementAndGet();
        }
    }

    /** @return requests running or waiting */
    int inFlight() {
        return inFlight.get();
    }

    /**
     * Stops the workers, interrupting running requests.
     *
     * @param wait how long to wait for them to end
     * @return whether they ended in time
     */
    boolean shutdownNow(Duration wait) {
        pool.shutdownNow();
        try {
            return pool.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
