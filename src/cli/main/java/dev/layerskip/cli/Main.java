package dev.layerskip.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/**
 * The {@code layerskip} command line: {@code generate}, {@code eval}, {@code info}, {@code bench}.
 * Errors print one line naming the problem and exit non-zero, without a stack trace.
 */
@Command(
        name = "layerskip",
        mixinStandardHelpOptions = true,
        version = "layerskip-djl 0.1.0",
        description = "LayerSkip for DJL: early exit and self-speculative decoding of Llama checkpoints.",
        subcommands = {
            GenerateCommand.class,
            EvalCommand.class,
            EvaluateCommand.class,
            InfoCommand.class,
            BenchCommand.class,
            BenchServeCommand.class,
            ProductsCommand.class,
            SweepCommand.class,
            CorrectnessCommand.class,
            CountTokensCommand.class,
            QuantizeCommand.class,
            ContinuationsCommand.class,
            ServeCommand.class,
            TrainCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /**
     * Runs the CLI and exits with its status.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /**
     * Runs the CLI without exiting (for tests and embedding).
     *
     * @param args the arguments
     * @param out standard output
     * @param err standard error
     * @return the exit status: 0 on success, 1 on an error, 2 on a usage error
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        System.setProperty("ai.djl.offline", "true");
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
            System.setProperty("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
        }
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            commandLine.getErr().println("error: " + CliErrors.describe(ex));
            commandLine.getErr().flush();
            return 1;
        });
        int status = cli.execute(args);
        out.flush();
        err.flush();
        return status;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
