package dev.layerskip.checkpoint;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A checkpoint file is missing, malformed or inconsistent with the model configuration.
 *
 * <p>The message always names the offending file and, where there is one, the field, tensor or
 * value, so that a user can fix the checkpoint without reading a stack trace.
 */
public class CheckpointException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates an exception about one file.
     *
     * @param file the file that is wrong
     * @param message what is wrong with it
     */
    public CheckpointException(Path file, String message) {
        super(file + ": " + message);
    }

    /**
     * Creates an exception about one file, caused by another exception.
     *
     * @param file the file that is wrong
     * @param message what is wrong with it
     * @param cause the underlying error
     */
    public CheckpointException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
    }
}
