package dev.layerskip.model;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * One piece of loading run on its own thread beside the rest (the int8 LM head's FBGEMM packing, single-threaded and
 * seconds long on a 128,256-token head, overlaps the layers' loading on a second core). {@link #join()} waits and
 * rethrows its failure; {@link #close()} always waits, so nothing is freed under it, and reports a failure
 * {@code join} did not (added as suppressed to the exception that left the try block).
 */
final class BackgroundTask implements AutoCloseable {

    /** Nothing to run. */
    static final BackgroundTask NONE = new BackgroundTask(null);

    private final FutureTask<Void> task;
    private boolean reported;

    private BackgroundTask(FutureTask<Void> task) {
        this.task = task;
    }

    /**
     * Starts work on a new daemon thread.
     *
     * @param threadName the thread's name
     * @param work what to run
     * @return the running task
     */
    static BackgroundTask start(String threadName, Runnable work) {
        FutureTask<Void> task = new FutureTask<>(work, null);
        Thread thread = new Thread(task, threadName);
        thread.setDaemon(true);
        thread.start();
        return new BackgroundTask(task);
    }

    /** Waits for the work; rethrows what it threw (an unchecked exception or error). */
    void join() {
        if (task == null || reported) {
            return;
        }
        reported = true;
        Throwable failure = await();
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }

    /** Waits for the work, then reports a failure {@link #join()} has not. */
    @Override
    public void close() {
        join();
    }

    // waits uninterruptibly (the work uses the model's arrays); returns the work's failure or null
    private Throwable await() {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    task.get();
                    return null;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    return e.getCause();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
