package dev.layerskip.bench;

import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.GenerationStats;
import dev.layerskip.generate.TokenListener;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Measures strategies side by side on the same prompts: one warm-up pass, then repeats in which
 * every strategy runs every prompt in turn (interleaved), so machine noise hits all alike.
 * Speedups are relative to the first strategy, measured in the same run.
 */
public final class StrategyBenchmark {

    private final List<BenchStrategy> strategies;

    /**
     * @param strategies the strategies; the first is the reference for speedups and outputs
     */
    public StrategyBenchmark(List<BenchStrategy> strategies) {
        if (strategies.isEmpty()) {
            throw new IllegalArgumentException("no strategies to benchmark");
        }
        this.strategies = List.copyOf(strategies);
    }

    /**
     * Runs the benchmark.
     *
     * @param prompts the prompts
     * @param config what each run generates (greedy for the lossless check)
     * @param repeats measured passes
     * @return one timing per strategy, in order
     */
    public List<StrategyTiming> run(List<int[]> prompts, GenerationConfig config, int repeats) {
        if (prompts.isEmpty() || repeats < 1) {
            throw new IllegalArgumentException("need at least one prompt and one repeat");
        }
        int n = strategies.size();
        warmUp(prompts.get(0), config);
        double[][] tokensPerSecond = new double[n][repeats];
        double[][] quarterMs = new double[n][2];
        long[][] counts = new long[n][7]; // drafted, accepted, quarter samples, rounds, round tokens, draft ns, verify ns
        int[][][] outputs = new int[n][prompts.size()][];
        long[] stamps = new long[config.maxNewTokens()]; // preallocated: nothing allocated per token while timing
        int[] k = new int[1];
        TokenListener stamp = (id, text) -> stamps[k[0]++] = System.nanoTime();
        for (int r = 0; r < repeats; r++) {
            long[] tokens = new long[n];
            long[] nanos = new long[n];
            for (int p = 0; p < prompts.size(); p++) {
                for (int s = 0; s < n; s++) {
                    k[0] = 0;
                    GenerationResult result = strategies.get(s).generator().generate(prompts.get(p), config, stamp);
                    int last = k[0] - 1;
                    if (last >= 1) {
                        tokens[s] += last;
                        nanos[s] += stamps[last] - stamps[0];
                    }
                    if (last >= 4) {
                        int q = last / 4;
                        quarterMs[s][0] += (stamps[q] - stamps[0]) / 1e6 / q;
                        quarterMs[s][1] += (stamps[last] - stamps[last - q]) / 1e6 / q;
                        counts[s][2]++;
                    }
                    GenerationStats st = result.stats();
                    counts[s][0] += st.drafted();
                    counts[s][1] += st.accepted();
                    counts[s][3] += st.rounds();
                    counts[s][4] += st.rounds() + st.accepted(); // each round yields its accepted drafts and one full-model token
                    counts[s][5] += st.draftNanos();
                    counts[s][6] += st.verifyNanos();
                    outputs[s][p] = result.tokenIds();
                }
            }
            for (int s = 0; s < n; s++) {
                tokensPerSecond[s][r] = nanos[s] == 0 ? 0 : tokens[s] * 1e9 / nanos[s];
            }
        }
        return timings(prompts.size(), tokensPerSecond, quarterMs, counts, outputs);
    }

    // one timing per strategy from the measured totals; outputs are compared with the first strategy's
    private List<StrategyTiming> timings(int promptCount, double[][] tokensPerSecond, double[][] quarterMs,
            long[][] counts, int[][][] outputs) {
        int n = strategies.size();
        List<StrategyTiming> out = new ArrayList<>();
        double reference = median(tokensPerSecond[0]);
        for (int s = 0; s < n; s++) {
            double tps = median(tokensPerSecond[s]);
            boolean matches = true;
            for (int p = 0; p < promptCount; p++) {
                matches &= Arrays.equals(outputs[0][p], outputs[s][p]);
            }
            long samples = Math.max(1, counts[s][2]);
            out.add(new StrategyTiming(strategies.get(s).label(), strategies.get(s).generator().exitLayer(), tps,
                    tps / reference, counts[s][0] == 0 ? 0 : (double) counts[s][1] / counts[s][0],
                    quarterMs[s][0] / samples, quarterMs[s][1] / samples, matches,
                    ratio(counts[s][4], counts[s][3]), ratio(counts[s][0], counts[s][3]), ratio(counts[s][5], counts[s][0]) / 1e6,
                    ratio(counts[s][6], counts[s][3]) / 1e6));
        }
        return out;
    }

    // one untimed pass of every strategy, so that the measured passes start warm
    private void warmUp(int[] prompt, GenerationConfig config) {
        for (BenchStrategy s : strategies) {
            s.generator().generate(prompt, config, TokenListener.NONE);
        }
    }

    private static double ratio(long numerator, long denominator) {
        return denominator == 0 ? 0 : (double) numerator / denominator;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted.length % 2 == 1 ? sorted[sorted.length / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    }
}
