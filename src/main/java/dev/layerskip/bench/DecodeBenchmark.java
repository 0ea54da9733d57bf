package dev.layerskip.bench;

import dev.layerskip.generate.AutoregressiveGenerator;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.Generator;
import dev.layerskip.model.LlamaModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decode speed of the full model and of early exits, measured side by side: one warm-up per
 * strategy, then repeats interleaved (full, E1, E2, full, E1, E2, ...) so machine noise hits all
 * strategies alike. Greedy, EOS ignored, so every run generates the same number of tokens.
 */
public final class DecodeBenchmark {

    private final LlamaModel model;

    /**
     * @param model the model to measure
     */
    public DecodeBenchmark(LlamaModel model) {
        this.model = model;
    }

    /**
     * Runs the benchmark.
     *
     * @param prompt the prompt ids
     * @param newTokens tokens to generate per run (at least 4)
     * @param exitLayers the exit layers to compare with the full model
     * @param repeats measured runs per strategy
     * @return one timing per strategy, the full model first
     */
    public List<DecodeTiming> run(int[] prompt, int newTokens, int[] exitLayers, int repeats) {
        if (newTokens < 4 || repeats < 1) {
            throw new IllegalArgumentException("need at least 4 new tokens and 1 repeat");
        }
        int[] exits = new int[exitLayers.length + 1];
        exits[0] = model.numLayers();
        System.arraycopy(exitLayers, 0, exits, 1, exitLayers.length);
        GenerationConfig config = GenerationConfig.greedy(newTokens, List.of());
        double[][] tokensPerSecond = new double[exits.length][repeats];
        double[][] quarterMs = new double[exits.length][2];
        int[][] ids = new int[exits.length][];
        for (int s = 0; s < exits.length; s++) {
            new AutoregressiveGenerator(model, null, exits[s]).generate(prompt, config, (id, t) -> {});
        }
        for (int r = 0; r < repeats; r++) {
            for (int s = 0; s < exits.length; s++) {
                Generator generator = new AutoregressiveGenerator(model, null, exits[s]);
                long[] stamps = new long[newTokens];
                int[] n = {0};
                GenerationResult result = generator.generate(prompt, config, (id, t) -> stamps[n[0]++] = System.nanoTime());
                tokensPerSecond[s][r] = (newTokens - 1) * 1e9 / (stamps[newTokens - 1] - stamps[0]);
                int q = Math.max(1, (newTokens - 1) / 4);
                quarterMs[s][0] += (stamps[q] - stamps[0]) / 1e6 / q / repeats;
                quarterMs[s][1] += (stamps[newTokens - 1] - stamps[newTokens - 1 - q]) / 1e6 / q / repeats;
                ids[s] = result.tokenIds();
            }
        }
        List<DecodeTiming> out = new ArrayList<>();
        for (int s = 0; s < exits.length; s++) {
            double[] sorted = tokensPerSecond[s].clone();
            Arrays.sort(sorted);
            String label = s == 0 ? "full (E=" + exits[s] + ")" : "early-exit E=" + exits[s];
            out.add(new DecodeTiming(label, exits[s], newTokens, sorted[sorted.length / 2],
                    quarterMs[s][0], quarterMs[s][1], ids[s]));
        }
        return out;
    }
}
