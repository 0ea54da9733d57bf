package dev.layerskip.eval.task;

import java.io.IOException;

/** A task file that cannot be used; the message names the file and the line. */
public final class TaskFileException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, starting with {@code file:line}
     */
    public TaskFileException(String message) {
        super(message);
    }

    /**
     * @param message what is wrong, starting with {@code file:line}
     * @param cause the parser's error
     */
    public TaskFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
