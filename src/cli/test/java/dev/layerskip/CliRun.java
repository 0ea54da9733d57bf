package dev.layerskip;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.cli.Main;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process for tests, and checks how it fails. */
public final class CliRun {

    /**
     * What a run printed.
     *
     * @param status the exit status
     * @param out standard output
     * @param err standard error
     */
    public record Result(int status, String out, String err) {}

    private CliRun() {}

    /**
     * @param args the command line
     * @return the status and output
     */
    public static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(status, out.toString(), err.toString());
    }

    /**
     * Asserts a clean failure: a non-zero status, the fragment on stderr, no stack trace.
     *
     * @param fragment expected in the error message
     * @param args the command line
     */
    public static void assertFails(String fragment, String... args) {
        Result r = run(args);
        assertTrue(r.status() != 0, "status 0 for " + String.join(" ", args));
        assertTrue(r.err().contains(fragment), "stderr '" + r.err() + "' lacks '" + fragment + "'");
        assertFalse(r.err().contains("\tat "), "stack trace printed: " + r.err());
    }
}
