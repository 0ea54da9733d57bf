package dev.layerskip.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import dev.layerskip.bench.BenchCosts;
import dev.layerskip.bench.BenchStrategy;
import dev.layerskip.bench.StrategyBenchmark;
import dev.layerskip.bench.StrategyTiming;
import dev.layerskip.checkpoint.SpeculationDefaults;
import dev.layerskip.checkpoint.TokenCounts;
import dev.layerskip.generate.AutoregressiveGenerator;
import dev.layerskip.generate.DecodingSettings;
import dev.layerskip.generate.DecodingStrategy;
import dev.layerskip.generate.StrategySpec;
import dev.layerskip.generate.DraftLength;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.SelfSpeculativeGenerator;
import dev.layerskip.model.CostModel;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code bench}: autoregressive, early exit and self-speculative decoding on the same prompts,
 * runs interleaved, greedy; speedups are measured against autoregressive in the same run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Tokens/s of autoregressive, early-exit and self-speculative decoding, side by side.")
final class BenchCommand implements Callable<Integer> {

    @Spec CommandSpec spec;
    @Mixin BenchModelOptions bench;

    @Option(names = "--exit-layers", split = ",", paramLabel = "E,...", description = "Early-exit layers (default: L/4,L/2).")
    int[] exitLayers;

    @Option(names = "--self-speculative", split = ",", paramLabel = "E:D,...",
            description = "Self-speculative settings (default: the model's layerskip.json, else L/4:4); 'none' to skip.")
    List<String> speculative;

    @Option(names = "--draft-confidence", paramLabel = "X|auto", description = "Also run each self-speculative setting with this draft stop.")
    String draftConfidence;

    @Option(names = "--draft-vocab", split = ",", paramLabel = "N,...",
            description = "Also run each self-speculative setting with drafts over the N most frequent tokens (the model's"
                    + " token_counts.json; random shapes: ids 0..N-1); prints the draft-step cost per N.")
    int[] draftVocabs;

    @Option(names = "--repeats", paramLabel = "R", description = "Measured passes (default: ${DEFAULT-VALUE}).")
    int repeats = 3;

    @Option(names = "--prefill-lengths", split = ",", paramLabel = "N,...",
            description = "Also time prefill of prompts of these lengths (median of the repeats).")
    int[] prefillLengths;

    @Option(names = "--pipelined", description = "Also run each self-speculative setting as a two-thread pipeline "
            + "(drafting and verification at once; d is how far the drafter runs ahead).")
    boolean pipelined;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        bench.modelOptions.refusePipelineOnGpu(pipelined);
        try (BenchModelOptions.Opened m = bench.open(draftVocabs)) {
            int layers = m.model.numLayers();
            int[] vocabs = draftVocabs != null ? draftVocabs : new int[0];
            if (draftVocabs == null && speculative == null && m.directory != null
                    && m.defaults.map(SpeculationDefaults::draftVocabSize).isPresent()) {
                vocabs = new int[] {m.defaults.get().draftVocabSize()}; // the saved default setting's N
                m.counts = TokenCounts.read(m.directory, m.model.config().vocabSize());
            }
            List<BenchStrategy> strategies = new ArrayList<>();
            strategies.add(new BenchStrategy("autoregressive", new AutoregressiveGenerator(m.model, null, layers)));
            int[] exits = exitLayers != null ? exitLayers : new int[] {Math.max(1, layers / 4), Math.max(1, layers / 2)};
            for (int e : exits) {
                strategies.add(new BenchStrategy("early-exit E=" + e, new AutoregressiveGenerator(m.model, null, e)));
            }
            for (int[] ed : speculativeSettings(layers, m)) {
                strategies.add(new BenchStrategy("self-speculative E=" + ed[0] + " d=" + ed[1],
                        new SelfSpeculativeGenerator(m.model, null, ed[0], new DraftLength.Fixed(ed[1])), ed[1]));
                if (pipelined) {
                    strategies.add(new BenchStrategy("self-speculative E=" + ed[0] + " d=" + ed[1] + " pipelined",
                            new SelfSpeculativeGenerator(m.model, null, ed[0], new DraftLength.Fixed(ed[1])).withPipeline(true)));
                }
                for (int n : vocabs) {
                    strategies.add(new BenchStrategy("self-speculative E=" + ed[0] + " d=" + ed[1] + " N=" + n,
                            new SelfSpeculativeGenerator(m.model, null, ed[0], new DraftLength.Fixed(ed[1]), m.drafter(n)), ed[1]));
                }
                if (draftConfidence != null) {
                    DecodingSettings s = DecodingSettings.parse(DecodingStrategy.SELF_SPECULATIVE, ed[0], ed[1], draftConfidence,
                            "--draft-confidence");
                    strategies.add(new BenchStrategy("self-speculative E=" + ed[0] + " d<=" + ed[1] + " conf=" + draftConfidence,
                            s.build(m.model, null, m.defaults)));
                }
            }
            GenerationConfig config = GenerationConfig.greedy(bench.newTokens, List.of());
            List<StrategyTiming> timings = new StrategyBenchmark(strategies).run(m.prompts, config, repeats);
            BenchCosts costs = BenchCosts.measure(m.model, strategies, prefillLengths, repeats);
            print(m, timings, costs);
        }
        return 0;
    }

    private List<int[]> speculativeSettings(int layers, BenchModelOptions.Opened m) {
        List<int[]> out = new ArrayList<>();
        if (speculative == null) {
            DecodingSettings d = DecodingSettings.of(DecodingStrategy.SELF_SPECULATIVE);
            if (layers > 1) {
                out.add(new int[] {d.resolveExitLayer(layers, m.defaults), d.resolveDraftLength(m.defaults).max()});
            }
            return out;
        }
        for (String s : speculative) {
            if (s.equals("none")) {
                continue;
            }
            StrategySpec spec;
            try {
                spec = StrategySpec.parse(DecodingStrategy.SELF_SPECULATIVE.cliName() + ":" + s);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--self-speculative expects E:D, got '" + s + "'", e);
            }
            if (spec.exitLayer() == null) {
                throw new IllegalArgumentException("--self-speculative expects E:D, got '" + s + "'");
            }
            out.add(new int[] {spec.exitLayer(), spec.numSpeculations()});
        }
        return out;
    }

    private void print(BenchModelOptions.Opened m, List<StrategyTiming> timings, BenchCosts costs) {
        int layers = m.model.numLayers();
        CostModel cost = new CostModel(m.model.config());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            JsonObject root = new JsonObject();
            root.addProperty("model", m.name);
            root.addProperty("layers", layers);
            root.addProperty("prompts", m.prompts.size());
            root.addProperty("new_tokens", bench.newTokens);
            root.addProperty("repeats", repeats);
            JsonArray rows = new JsonArray();
            for (StrategyTiming t : timings) {
                JsonObject o = new JsonObject();
                o.addProperty("strategy", t.label());
                o.addProperty("exit_layer", t.exitLayer());
                o.addProperty("tokens_per_second", t.tokensPerSecond());
                o.addProperty("ms_per_token", t.msPerToken());
                o.addProperty("speedup", t.speedup());
                o.addProperty("acceptance_rate", t.acceptanceRate());
                o.addProperty("greedy_output_matches", t.matchesReference());
                o.addProperty("exit_macs_ratio", cost.exitCostRatio(t.exitLayer()));
                o.addProperty("first_quarter_ms_per_token", t.firstQuarterMsPerToken());
                o.addProperty("last_quarter_ms_per_token", t.lastQuarterMsPerToken());
                o.addProperty("weight_bytes_per_token", costs.bytesPerToken(t));
                o.addProperty("gigabytes_per_second", costs.bytesPerToken(t) * t.tokensPerSecond() / 1e9);
                if (t.tokensPerRound() > 0) {
                    o.addProperty("tokens_per_round", t.tokensPerRound());
                    o.addProperty("draft_ms_per_step", t.draftMsPerStep());
                    o.addProperty("verify_ms_per_round", t.verifyMsPerRound());
                    if (costs.predicts(t)) {
                        o.addProperty("predicted_speedup", costs.predictedSpeedup(t));
                        o.addProperty("ceiling_speedup", costs.ceilingSpeedup(t));
                    }
                }
                rows.add(o);
            }
            root.add("results", rows);
            costs.addJson(root);
            out.println(new GsonBuilder().setPrettyPrinting().create().toJson(root));
            return;
        }
        out.printf("model %s: %d layers, %d prompts x %d new tokens, %d repeats (greedy, interleaved)%n",
                m.name, layers, m.prompts.size(), bench.newTokens, repeats);
        out.printf("%-44s %9s %9s %8s %10s %6s %9s %9s %10s %8s %11s %14s%n", "strategy", "tok/s", "ms/tok", "speedup",
                "acceptance", "same", "predicted", "ceiling", "MB/tok", "GB/s", "MACs/full", "ms/tok 1st/last 1/4");
        for (StrategyTiming t : timings) {
            boolean rounds = t.tokensPerRound() > 0 && costs.predicts(t); // the cost model covers rounds, not the pipeline
            double bytes = costs.bytesPerToken(t);
            out.printf("%-44s %9.2f %9.3f %7.2fx %10s %6s %9s %9s %10.1f %8.1f %11.3f %7.3f/%.3f%n", t.label(), t.tokensPerSecond(),
                    t.msPerToken(), t.speedup(), t.acceptanceRate() == 0 ? "-" : String.format("%.3f", t.acceptanceRate()),
                    t.matchesReference() ? "yes" : "NO",
                    rounds ? String.format("%.2fx", costs.predictedSpeedup(t)) : "-",
                    rounds ? String.format("%.2fx", costs.ceilingSpeedup(t)) : "-",
                    bytes / 1e6, bytes * t.tokensPerSecond() / 1e9, cost.exitCostRatio(t.exitLayer()),
                    t.firstQuarterMsPerToken(), t.lastQuarterMsPerToken());
        }
        costs.print(out);
    }
}
