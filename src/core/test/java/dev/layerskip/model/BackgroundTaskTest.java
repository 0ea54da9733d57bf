package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/** Loading work on a second thread: joined, its failure rethrown once, never left running under a failure. */
class BackgroundTaskTest {

    @Test
    void joinWaitsAndRethrowsTheWorksFailureOnce() {
        IllegalArgumentException thrown = new IllegalArgumentException("lm_head.weight: row 7 is not finite");
        try (BackgroundTask task = BackgroundTask.start("test-task", () -> {
            throw thrown;
        })) {
            assertSame(thrown, assertThrows(IllegalArgumentException.class, task::join));
            task.join(); // reported already: not again, and close() does not add it to itself
        }
    }

    @Test
    void closeWaitsForTheWorkAndAddsItsFailureToTheOneLeavingTheBlock() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        IllegalStateException primary = new IllegalStateException("a layer failed to load");
        IllegalStateException secondary = new IllegalStateException("the head failed too");
        IllegalStateException seen = assertThrows(IllegalStateException.class, () -> {
            try (BackgroundTask task = BackgroundTask.start("test-task", () -> {
                awaitQuietly(release);
                finished.set(true);
                throw secondary;
            })) {
                release.countDown();
                throw primary;
            }
        });
        assertSame(primary, seen);
        assertTrue(finished.get(), "close() returned before the work ended");
        assertArrayEquals(new Throwable[] {secondary}, seen.getSuppressed());
    }

    @Test
    void nothingToRunJoinsAtOnce() {
        try (BackgroundTask none = BackgroundTask.NONE) {
            none.join();
        }
        int[] ran = new int[1];
        try (BackgroundTask task = BackgroundTask.start("test-task", () -> ran[0]++)) {
            task.join();
        }
        assertEquals(1, ran[0]);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
