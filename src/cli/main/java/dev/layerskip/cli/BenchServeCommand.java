package dev.layerskip.cli;

import dev.layerskip.bench.LineChart;
import dev.layerskip.bench.ServeLoad;
import dev.layerskip.generate.AutoregressiveGenerator;
import dev.layerskip.generate.DecodingSettings;
import dev.layerskip.generate.DecodingStrategy;
import dev.layerskip.generate.DraftLength;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.Generator;
import dev.layerskip.generate.SelfSpeculativeGenerator;
import dev.layerskip.generate.StrategySpec;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import org.knowm.xchart.BitmapEncoder;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code bench-serve}: serving throughput and latency by client count, each request alone vs rolling batches. */
@Command(name = "bench-serve", mixinStandardHelpOptions = true,
        description = "Concurrent clients x greedy requests: total tokens/s and median latency with every request decoded"
                + " alone (max batch size 1, as serve does by default) and with rolling batches, side by side.")
final class BenchServeCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin BenchModelOptions bench;

    @Option(names = "--clients", split = ",", paramLabel = "N,...", description = "Client counts (default: 1,2,4,8,16).")
    int[] clients = {1, 2, 4, 8, 16};

    @Option(names = "--max-batch-size", paramLabel = "N", description = "Batch size compared with 1 (default: ${DEFAULT-VALUE}).")
    int maxBatchSize = 8;

    @Option(names = "--strategies", split = ",", paramLabel = "S,...",
            description = "autoregressive, early-exit:E, self-speculative (the checkpoint's E and d) or self-speculative:E:D"
                    + " (default: autoregressive,self-speculative).")
    List<String> strategies = List.of("autoregressive", "self-speculative");

    @Option(names = "--requests", paramLabel = "R", description = "Requests per client (default: ${DEFAULT-VALUE}).")
    int requests = 2;

    @Option(names = "--chart", paramLabel = "FILE.png", description = "Also plot total tokens/s by client count.")
    Path chart;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (maxBatchSize < 2 || maxBatchSize > 1024) {
            throw new IllegalArgumentException("--max-batch-size must be in 2..1024 (it is compared with 1), got " + maxBatchSize);
        }
        PrintWriter out = spec.commandLine().getOut();
        try (BenchModelOptions.Opened m = bench.open()) {
            GenerationConfig config = GenerationConfig.greedy(bench.newTokens, List.of()); // no EOS: every request is full length
            JsonArray rows = new JsonArray();
            Map<String, double[]> series = new LinkedHashMap<>();
            if (!json) {
                printHeader(out, m.name);
            }
            for (String name : strategies) {
                Generator generator = generator(name, m);
                new ServeLoad(1, 1, GenerationConfig.greedy(4, List.of())).run(m.model, generator, m.prompts, maxBatchSize); // warm-up
                double[] alone = new double[clients.length];
                double[] batched = new double[clients.length];
                for (int i = 0; i < clients.length; i++) {
                    ServeLoad load = new ServeLoad(clients[i], requests, config);
                    ServeLoad.Result one = load.run(m.model, generator, m.prompts, 1);
                    ServeLoad.Result many = load.run(m.model, generator, m.prompts, maxBatchSize);
                    alone[i] = one.tokensPerSecond();
                    batched[i] = many.tokensPerSecond();
                    rows.add(row(name, clients[i], one, many));
                    if (!json) {
                        out.printf("%-34s %7d %12.1f %12.1f %7.2fx %14.1f %14.1f%n", name, clients[i], one.tokensPerSecond(),
                                many.tokensPerSecond(), many.tokensPerSecond() / one.tokensPerSecond(), one.medianLatencyMs(),
                                many.medianLatencyMs());
                        out.flush();
                    }
                }
                series.put(name + ", batch 1", alone);
                series.put(name + ", batch " + maxBatchSize, batched);
            }
            if (json) {
                printJson(out, m.name, rows);
            }
            if (chart != null) {
                saveChart(m.name, series);
            }
        }
        return 0;
    }

    // the table's title line and column heads
    private void printHeader(PrintWriter out, String model) {
        out.printf("model %s: %d requests per client x %d new tokens, greedy; batch 1 and %d side by side%n",
                model, requests, bench.newTokens, maxBatchSize);
        out.printf("%-34s %7s %12s %12s %8s %14s %14s%n", "strategy", "clients", "tok/s b=1", "tok/s b=" + maxBatchSize,
                "speedup", "median ms b=1", "median ms b=" + maxBatchSize);
    }

    // one JSON result row: a strategy at a client count, alone and batched
    private static JsonObject row(String name, int clientCount, ServeLoad.Result one, ServeLoad.Result many) {
        JsonObject row = new JsonObject();
        row.addProperty("strategy", name);
        row.addProperty("clients", clientCount);
        row.addProperty("tokens_per_second_batch_1", one.tokensPerSecond());
        row.addProperty("tokens_per_second_batched", many.tokensPerSecond());
        row.addProperty("speedup", many.tokensPerSecond() / one.tokensPerSecond());
        row.addProperty("median_latency_ms_batch_1", one.medianLatencyMs());
        row.addProperty("median_latency_ms_batched", many.medianLatencyMs());
        return row;
    }

    private void printJson(PrintWriter out, String model, JsonArray rows) {
        JsonObject root = new JsonObject();
        root.addProperty("model", model);
        root.addProperty("max_batch_size", maxBatchSize);
        root.addProperty("requests_per_client", requests);
        root.addProperty("new_tokens", bench.newTokens);
        root.add("results", rows);
        out.println(new GsonBuilder().setPrettyPrinting().create().toJson(root));
    }

    // total tokens/s by client count, one line per strategy and batch size
    private void saveChart(String model, Map<String, double[]> series) throws IOException {
        double[] x = new double[clients.length];
        for (int i = 0; i < x.length; i++) {
            x[i] = clients[i];
        }
        BitmapEncoder.saveBitmap(LineChart.chart("Serving throughput, " + model, "concurrent clients",
                "total tokens/s", x, series, Map.of(), false), chart.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private Generator generator(String name, BenchModelOptions.Opened m) {
        StrategySpec spec;
        try {
            spec = StrategySpec.parse(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--strategies: " + e.getMessage(), e);
        }
        int layers = m.model.numLayers();
        return switch (spec.strategy()) {
            case AUTOREGRESSIVE -> new AutoregressiveGenerator(m.model, null, layers);
            case EARLY_EXIT -> new AutoregressiveGenerator(m.model, null, spec.exitLayer());
            case SELF_SPECULATIVE -> spec.exitLayer() == null
                    ? DecodingSettings.of(DecodingStrategy.SELF_SPECULATIVE).build(m.model, null, m.defaults)
                    : new SelfSpeculativeGenerator(m.model, null, spec.exitLayer(), new DraftLength.Fixed(spec.numSpeculations()));
        };
    }
}
