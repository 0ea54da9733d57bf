package dev.layerskip.checkpoint;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Files written atomically: into a temporary file beside the target, then renamed into place, so a
 * crash or kill never leaves a half-written file under the target's name.
 */
public final class AtomicFiles {

    /** Fills the temporary file. */
    @FunctionalInterface
    public interface Content {
        /**
         * @param temporary the file to write (exists, empty)
         * @throws IOException if writing fails
         */
        void writeTo(Path temporary) throws IOException;
    }

    private AtomicFiles() {}

    /**
     * Writes a file atomically (rw-r--r-- where POSIX), creating its directory.
     *
     * @param target the file
     * @param content writes the content into the temporary file
     * @throws IOException if writing or renaming fails (the target is then unchanged)
     */
    public static void write(Path target, Content content) throws IOException {
        Path tmp = temporaryBeside(target);
        try {
            content.writeTo(tmp);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Creates an empty temporary file in the target's directory (rw-r--r-- where POSIX).
     *
     * @param target the file that will replace it
     * @return the temporary file
     * @throws IOException if it cannot be created
     */
    private static Path temporaryBeside(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
        }
        return tmp;
    }
}
