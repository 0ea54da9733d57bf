package dev.layerskip.generate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the process's resident memory, for the tests that check native memory stays flat. */
public final class NativeMemoryTestSupport {

    private NativeMemoryTestSupport() {}

    /**
     * @return VmRSS of this process in KiB
     * @throws IOException if /proc cannot be read
     */
    public static long residentKiB() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
