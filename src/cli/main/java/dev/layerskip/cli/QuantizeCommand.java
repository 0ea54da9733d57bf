package dev.layerskip.cli;

import dev.layerskip.model.Int8Checkpoints;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code quantize}: writes an int8 copy of a checkpoint in compressed-tensors' int-quantized layout
 * ({@link Int8Checkpoints#write}), which loads without quantizing again.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Write an int8 copy of a checkpoint (compressed-tensors int-quantized safetensors) that loads"
                + " with --dtype int8 (or auto) without quantizing again.")
final class QuantizeCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "Float checkpoint directory (default: ${DEFAULT-VALUE}).")
    Path model = ModelOptions.DEFAULT_MODEL;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "New directory for the int8 checkpoint.")
    Path out;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        long bytes = Int8Checkpoints.write(model, out);
        spec.commandLine().getOut().printf("wrote %s: model.safetensors %.1f MB in %.1f s%n", out, bytes / 1e6,
                (System.nanoTime() - start) / 1e9);
        return 0;
    }
}
