package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the process's resident memory, for the tests that check native memory stays flat. */
public final class NativeMemoryTestSupport {

    private NativeMemoryTestSupport() {}

    /** A unit of work that may throw. */
    @FunctionalInterface
    public interface Work {
        /**
         * @param i the run's index
         * @throws Exception if the work fails
         */
        void run(int i) throws Exception;
    }

    /**
     * Runs work after a warm-up and asserts it leaves no arrays in the manager and grows resident
     * memory by less than 32 MiB.
     *
     * @param manager the manager that owns the weights (and every generation's sub-manager)
     * @param warmups runs before measuring (the native allocator's pools settle)
     * @param runs measured runs
     * @param work one run
     * @param what what a run is, for messages
     * @throws Exception if the work fails
     */
    public static void assertFlat(BaseNDManager manager, int warmups, int runs, Work work, String what) throws Exception {
        for (int i = 0; i < warmups; i++) {
            work.run(i);
        }
        int arrays = manager.getManagedArrays().size();
        System.gc();
        long before = residentKiB();
        for (int i = 0; i < runs; i++) {
            work.run(i);
        }
        System.gc();
        long growth = residentKiB() - before;
        assertEquals(arrays, manager.getManagedArrays().size(), "arrays left in the model's manager");
        assertTrue(growth < 32 * 1024, "resident memory grew by " + growth + " KiB over " + runs + " " + what);
    }

    /**
     * @return VmRSS of this process in KiB
     * @throws IOException if /proc cannot be read
     */
    public static long residentKiB() throws IOException {
        return statusKiB("VmRSS");
    }

    /**
     * @return VmHWM of this process in KiB: the peak resident memory since start or since
     *     {@code /proc/self/clear_refs} was last given 5
     * @throws IOException if /proc cannot be read
     */
    public static long peakResidentKiB() throws IOException {
        return statusKiB("VmHWM");
    }

    private static long statusKiB(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no " + field + " in /proc/self/status");
    }
}
