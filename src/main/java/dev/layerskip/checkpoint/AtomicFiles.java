package dev.layerskip.checkpoint;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Temporary files beside their target, readable like ordinary files once renamed into place. */
final class AtomicFiles {

    private AtomicFiles() {}

    /**
     * Creates an empty temporary file in the target's directory (rw-r--r-- where POSIX).
     *
     * @param target the file that will replace it
     * @return the temporary file
     * @throws IOException if it cannot be created
     */
    static Path temporaryBeside(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
        }
        return tmp;
    }
}
