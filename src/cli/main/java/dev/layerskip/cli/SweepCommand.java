package dev.layerskip.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import dev.layerskip.bench.BenchStrategy;
import dev.layerskip.bench.HeatMap;
import dev.layerskip.bench.StrategyBenchmark;
import dev.layerskip.bench.StrategyTiming;
import dev.layerskip.checkpoint.SpeculationDefaults;
import dev.layerskip.generate.AutoregressiveGenerator;
import dev.layerskip.generate.DraftLength;
import dev.layerskip.generate.DraftScorer;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.SelfSpeculativeGenerator;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code sweep}: self-speculative decoding over a grid of exit layers × speculation counts, with
 * tokens/s, acceptance and speedup over autoregressive (measured in the same interleaved run) per
 * cell; writes a CSV and a PNG heat map, names the best cell, and can save it beside the model.
 */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = "Grid of exit layers x num_speculations: speedup, acceptance, CSV and PNG heat map.")
final class SweepCommand implements Callable<Integer> {

    @Spec CommandSpec spec;
    @Mixin BenchModelOptions bench;

    @Option(names = "--exit-layers", split = ",", paramLabel = "E,...", description = "Draft exits (default: 1..L-1, at most 6 spread out).")
    int[] exitLayers;

    @Option(names = "--num-speculations", split = ",", paramLabel = "D,...", description = "Draft lengths (default: 1,2,3,4,6,8).")
    int[] speculations = {1, 2, 3, 4, 6, 8};

    @Option(names = "--draft-vocab", split = ",", paramLabel = "full|N,...",
            description = "Draft vocabularies to search with E and d: full (the whole head) or N, the N most frequent"
                    + " tokens of the model's token_counts.json (default: full).")
    List<String> draftVocabs = List.of("full");

    @Option(names = "--repeats", paramLabel = "R", description = "Measured passes (default: ${DEFAULT-VALUE}).")
    int repeats = 2;

    @Option(names = "--out", paramLabel = "PREFIX", description = "Write PREFIX.csv and PREFIX.png (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("sweep");

    @Option(names = "--save-defaults", description = "Save the best cell as layerskip.json beside the model's config.json.")
    boolean saveDefaults;

    @Option(names = "--pipelined", description = "Time every cell as the two-thread pipeline (drafting and verification at"
            + " once; d is how far the drafter runs ahead) instead of rounds.")
    boolean pipelined;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        Integer[] vocabs = parseVocabs(draftVocabs);
        int[] restricted = java.util.Arrays.stream(vocabs).filter(java.util.Objects::nonNull).mapToInt(Integer::intValue).toArray();
        bench.modelOptions.refusePipelineOnGpu(pipelined);
        try (BenchModelOptions.Opened m = bench.open(restricted)) {
            int layers = m.model.numLayers();
            if (layers < 2) {
                throw new IllegalArgumentException("self-speculation needs at least 2 layers");
            }
            int[] exitList = exitLayers != null ? exitLayers : defaultExits(layers);
            // One grid row per (E, draft vocabulary); N = null is the full head.
            int[] exits = new int[exitList.length * vocabs.length];
            Integer[] rowVocab = new Integer[exits.length];
            for (int i = 0; i < exitList.length; i++) {
                for (int k = 0; k < vocabs.length; k++) {
                    exits[i * vocabs.length + k] = exitList[i];
                    rowVocab[i * vocabs.length + k] = vocabs[k];
                }
            }
            List<StrategyTiming> timings = new StrategyBenchmark(strategies(m, exits, rowVocab))
                    .run(m.prompts, GenerationConfig.greedy(bench.newTokens, List.of()), repeats);
            double[][] speedup = new double[exits.length][speculations.length];
            StringBuilder csv = new StringBuilder(
                    "exit_layer,num_speculations,draft_vocab,tokens_per_second,acceptance_rate,speedup,greedy_output_matches\n");
            StrategyTiming best = null;
            int bestE = 0;
            int bestD = 0;
            Integer bestN = null;
            for (int i = 0; i < exits.length; i++) {
                for (int j = 0; j < speculations.length; j++) {
                    StrategyTiming t = timings.get(1 + i * speculations.length + j);
                    speedup[i][j] = t.speedup();
                    csv.append(String.format("%d,%d,%s,%.3f,%.4f,%.4f,%s%n", exits[i], speculations[j],
                            rowVocab[i] == null ? "full" : rowVocab[i].toString(), t.tokensPerSecond(),
                            t.acceptanceRate(), t.speedup(), t.matchesReference()));
                    if (best == null || t.speedup() > best.speedup()) {
                        best = t;
                        bestE = exits[i];
                        bestD = speculations[j];
                        bestN = rowVocab[i];
                    }
                }
            }
            Path csvFile = Path.of(out + ".csv");
            Path pngFile = Path.of(out + ".png");
            Files.writeString(csvFile, csv.toString(), StandardCharsets.UTF_8);
            writeHeatMap(pngFile, m.name, exits, rowVocab, vocabs.length > 1, speedup);
            if (saveDefaults) {
                if (m.directory == null) {
                    throw new IllegalArgumentException("--save-defaults needs --model, not --random-shape");
                }
                new SpeculationDefaults(bestE, bestD, bestN, pipelined ? Boolean.TRUE : null).write(m.directory); // rounds only: the schedule stays open
            }
            report(m, timings.get(0), timings, exits, rowVocab, best, bestE, bestD, bestN, csvFile, pngFile);
        }
        return 0;
    }

    // autoregressive first (the reference), then one self-speculative strategy per grid cell, row by row
    private List<BenchStrategy> strategies(BenchModelOptions.Opened m, int[] exits, Integer[] rowVocab) {
        int layers = m.model.numLayers();
        List<BenchStrategy> strategies = new ArrayList<>();
        strategies.add(new BenchStrategy("autoregressive", new AutoregressiveGenerator(m.model, null, layers)));
        for (int i = 0; i < exits.length; i++) {
            int e = exits[i];
            DraftScorer drafter = rowVocab[i] == null ? DraftScorer.full(m.model) : m.drafter(rowVocab[i]);
            for (int d : speculations) {
                strategies.add(new BenchStrategy(rowLabel(e, rowVocab[i]) + ":" + d,
                        new SelfSpeculativeGenerator(m.model, null, e, new DraftLength.Fixed(d), drafter).withPipeline(pipelined)));
            }
        }
        return strategies;
    }

    // the speedup grid as a PNG heat map, white at 1x
    private void writeHeatMap(Path pngFile, String model, int[] exits, Integer[] rowVocab, boolean severalVocabs,
            double[][] speedup) throws IOException {
        String[] rows = new String[exits.length];
        String[] cols = new String[speculations.length];
        for (int i = 0; i < exits.length; i++) {
            rows[i] = rowLabel(exits[i], rowVocab[i]);
        }
        for (int j = 0; j < speculations.length; j++) {
            cols[j] = "d=" + speculations[j];
        }
        HeatMap.write(pngFile, "Self-speculative speedup over autoregressive: " + model,
                severalVocabs ? "exit layer, draft vocabulary" : "exit layer", rows, "num_speculations", cols, speedup, 1.0);
    }

    private static int[] defaultExits(int layers) {
        int n = Math.min(6, layers - 1);
        int[] exits = new int[n];
        for (int i = 0; i < n; i++) {
            exits[i] = 1 + (int) Math.round(i * (layers - 2) / (double) Math.max(1, n - 1));
        }
        return java.util.Arrays.stream(exits).distinct().toArray();
    }

    /** Parses full|N values; full is null. */
    private static Integer[] parseVocabs(List<String> values) {
        Integer[] out = new Integer[values.size()];
        for (int i = 0; i < out.length; i++) {
            String v = values.get(i).trim();
            if (v.equalsIgnoreCase("full")) {
                continue;
            }
            try {
                out[i] = Integer.parseInt(v);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--draft-vocab expects full or a number of tokens, got '" + v + "'", e);
            }
            if (out[i] < 1) {
                throw new IllegalArgumentException("--draft-vocab must be >= 1 (a number of tokens) or full, got " + out[i]);
            }
        }
        return out;
    }

    private static String rowLabel(int e, Integer n) {
        return "E=" + e + (n == null ? "" : " N=" + n);
    }

    private void report(BenchModelOptions.Opened m, StrategyTiming ar, List<StrategyTiming> timings, int[] exits,
            Integer[] rowVocab, StrategyTiming best, int bestE, int bestD, Integer bestN, Path csv, Path png) {
        PrintWriter o = spec.commandLine().getOut();
        if (json) {
            JsonObject root = new JsonObject();
            root.addProperty("model", m.name);
            root.addProperty("autoregressive_tokens_per_second", ar.tokensPerSecond());
            JsonArray cells = new JsonArray();
            for (int k = 1; k < timings.size(); k++) {
                StrategyTiming t = timings.get(k);
                JsonObject c = new JsonObject();
                c.addProperty("exit_layer", exits[(k - 1) / speculations.length]);
                c.addProperty("num_speculations", speculations[(k - 1) % speculations.length]);
                Integer n = rowVocab[(k - 1) / speculations.length];
                if (n != null) {
                    c.addProperty("draft_vocab", n);
                } else {
                    c.addProperty("draft_vocab", "full");
                }
                c.addProperty("tokens_per_second", t.tokensPerSecond());
                c.addProperty("acceptance_rate", t.acceptanceRate());
                c.addProperty("speedup", t.speedup());
                c.addProperty("greedy_output_matches", t.matchesReference());
                cells.add(c);
            }
            root.add("cells", cells);
            JsonObject b = new JsonObject();
            b.addProperty("exit_layer", bestE);
            b.addProperty("num_speculations", bestD);
            if (bestN != null) {
                b.addProperty("draft_vocab", bestN);
            } else {
                b.addProperty("draft_vocab", "full");
            }
            b.addProperty("speedup", best.speedup());
            root.add("best", b);
            root.addProperty("csv", csv.toString());
            root.addProperty("png", png.toString());
            o.println(new GsonBuilder().setPrettyPrinting().create().toJson(root));
            return;
        }
        o.printf("model %s; autoregressive %.2f tokens/s%n", m.name, ar.tokensPerSecond());
        o.printf("%-13s", "E \\ d");
        for (int d : speculations) {
            o.printf(" %16s", "d=" + d);
        }
        o.println("   (speedup / acceptance)");
        for (int i = 0; i < exits.length; i++) {
            o.printf("%-13s", rowLabel(exits[i], rowVocab[i]));
            for (int j = 0; j < speculations.length; j++) {
                StrategyTiming t = timings.get(1 + i * speculations.length + j);
                o.printf(" %9.2fx/%5.2f%s", t.speedup(), t.acceptanceRate(), t.matchesReference() ? "" : "!");
            }
            o.println();
        }
        o.printf("best: E=%d d=%d%s, %.2fx over autoregressive (acceptance %.2f)%s%n", bestE, bestD,
                bestN == null ? "" : " N=" + bestN, best.speedup(),
                best.acceptanceRate(), saveDefaults ? "; saved to " + m.directory.resolve(SpeculationDefaults.FILE) : "");
        o.printf("wrote %s and %s%n", csv, png);
    }
}
