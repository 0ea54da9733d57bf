package dev.layerskip.cli;

/** Turns exceptions into the one-line messages the CLI prints. */
final class CliErrors {

    private CliErrors() {}

    /**
     * @param error the exception
     * @return its message, with the causes' messages when they add something
     */
    static String describe(Throwable error) {
        StringBuilder sb = new StringBuilder(message(error));
        Throwable cause = error.getCause();
        while (cause != null && cause != error) {
            String m = message(cause);
            if (!sb.toString().contains(m)) {
                sb.append(" (").append(m).append(')');
            }
            error = cause;
            cause = cause.getCause();
        }
        return sb.toString();
    }

    private static String message(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
