package dev.layerskip.cli;

import dev.layerskip.bench.ProductCosts;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;

/** {@code bench-products}: one projection's cost by row count for every way the engine offers. */
@Command(name = "bench-products", mixinStandardHelpOptions = true,
        description = "ms per product x[rows, in]·w^T for float16/float32/bfloat16, plain and oneDNN-packed weights.")
final class ProductsCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--out-features", paramLabel = "N", description = "Rows of each weight (default: ${DEFAULT-VALUE}).")
    int out = 8192;

    @Option(names = "--in-features", paramLabel = "N", description = "Columns of each weight (default: ${DEFAULT-VALUE}).")
    int in = 2048;

    @Option(names = "--weights", paramLabel = "N",
            description = "Different weights cycled through so none stays in cache (default: ${DEFAULT-VALUE}).")
    int weights = 24;

    @Option(names = "--rows", split = ",", paramLabel = "R,...", description = "Row counts (default: 1,2,5,9,16,64).")
    int[] rows = {1, 2, 5, 9, 16, 64};

    @Option(names = "--repeats", paramLabel = "R", description = "Timed passes, median kept (default: ${DEFAULT-VALUE}).")
    int repeats = 3;

    @Override
    public Integer call() {
        double[][] ms = ProductCosts.measure(out, in, weights, rows, repeats);
        PrintWriter w = spec.commandLine().getOut();
        w.printf("ms per product of x[rows, %d] by a [%d, %d] weight, %d weights in turn, median of %d passes%n",
                in, out, in, weights, repeats);
        w.printf("%-24s", "method \\ rows");
        for (int r : rows) {
            w.printf(" %9d", r);
        }
        w.println();
        ProductCosts.Method[] methods = ProductCosts.Method.values();
        for (int m = 0; m < methods.length; m++) {
            w.printf("%-24s", methods[m].label());
            for (double v : ms[m]) {
                w.printf(Double.isNaN(v) ? " %9s" : " %9.3f", Double.isNaN(v) ? "n/a" : v); // n/a: needs AVX-512
            }
            w.println();
        }
        return 0;
    }
}
