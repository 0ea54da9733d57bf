package dev.layerskip.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import dev.layerskip.bench.DecodeBenchmark;
import dev.layerskip.bench.DecodeTiming;
import dev.layerskip.bench.RandomShape;
import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.model.CostModel;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.LlamaWeights;
import dev.layerskip.model.LoadedModel;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/** {@code bench}: decode tokens/s of the full model and early exits, measured side by side. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Decode speed of the full model vs early exit at E = L/4 and L/2 (greedy, interleaved runs).")
final class BenchCommand implements Callable<Integer> {

    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--random-shape", paramLabel = "demo|llama3.2-1b",
            description = "Benchmark random weights of this shape instead of --model.")
    String randomShape;

    @Option(names = "--prompt-ids", split = ",", paramLabel = "1,2,3", description = "Prompt ids (default: 16 seeded random ids).")
    int[] promptIds;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Tokens per run (default: ${DEFAULT-VALUE}).")
    int newTokens = 64;

    @Option(names = "--exit-layers", split = ",", paramLabel = "E,...", description = "Exit layers (default: L/4,L/2).")
    int[] exitLayers;

    @Option(names = "--repeats", paramLabel = "R", description = "Measured runs per strategy (default: ${DEFAULT-VALUE}).")
    int repeats = 3;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (randomShape != null) {
            LlamaConfig config = RandomShape.fromName(randomShape).config();
            DataType type = modelOptions.dtype == ModelOptions.DTypeChoice.float16 ? DataType.FLOAT16 : DataType.FLOAT32;
            try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                LlamaModel model = new LlamaModel(manager, config, type);
                LlamaWeights.initRandom(model, manager, 42, 0.02f);
                report("random " + randomShape + " (" + type + ")", model);
            }
        } else {
            try (LoadedModel loaded = modelOptions.load()) {
                report(loaded.directory() + " (" + loaded.model().weightType() + ")", loaded.model());
            }
        }
        return 0;
    }

    private void report(String name, LlamaModel model) {
        int layers = model.numLayers();
        int[] exits = exitLayers != null ? exitLayers : new int[] {Math.max(1, layers / 4), Math.max(1, layers / 2)};
        int[] prompt = promptIds != null ? promptIds : randomPrompt(model.config().vocabSize());
        List<DecodeTiming> timings = new DecodeBenchmark(model).run(prompt, newTokens, exits, repeats);
        CostModel cost = new CostModel(model.config());
        DecodeTiming full = timings.get(0);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            JsonObject root = new JsonObject();
            root.addProperty("model", name);
            root.addProperty("layers", layers);
            root.addProperty("new_tokens", newTokens);
            root.addProperty("repeats", repeats);
            JsonArray rows = new JsonArray();
            for (DecodeTiming t : timings) {
                JsonObject o = new JsonObject();
                o.addProperty("strategy", t.label());
                o.addProperty("exit_layer", t.exitLayer());
                o.addProperty("tokens_per_second", t.medianDecodeTokensPerSecond());
                o.addProperty("ms_per_token", t.msPerToken());
                o.addProperty("time_ratio_vs_full", t.msPerToken() / full.msPerToken());
                o.addProperty("layer_ratio", (double) t.exitLayer() / layers);
                o.addProperty("macs_ratio", cost.exitCostRatio(t.exitLayer()));
                o.addProperty("first_quarter_ms_per_token", t.firstQuarterMsPerToken());
                o.addProperty("last_quarter_ms_per_token", t.lastQuarterMsPerToken());
                rows.add(o);
            }
            root.add("results", rows);
            out.println(new GsonBuilder().setPrettyPrinting().create().toJson(root));
            return;
        }
        out.printf("model %s, %d layers, %d new tokens, %d repeats, prompt %d tokens%n", name, layers, newTokens, repeats, prompt.length);
        out.printf("%-20s %10s %10s %12s %8s %10s %14s %14s%n", "strategy", "tok/s", "ms/tok", "time/full", "E/L", "MACs/full", "ms/tok 1st 1/4", "ms/tok last 1/4");
        for (DecodeTiming t : timings) {
            out.printf("%-20s %10.2f %10.2f %12.3f %8.3f %10.3f %14.2f %14.2f%n", t.label(), t.medianDecodeTokensPerSecond(),
                    t.msPerToken(), t.msPerToken() / full.msPerToken(), (double) t.exitLayer() / layers,
                    cost.exitCostRatio(t.exitLayer()), t.firstQuarterMsPerToken(), t.lastQuarterMsPerToken());
        }
    }

    private static int[] randomPrompt(int vocab) {
        SplittableRandom random = new SplittableRandom(7);
        int[] ids = new int[16];
        Arrays.setAll(ids, i -> 3 + random.nextInt(vocab - 3));
        return ids;
    }
}
