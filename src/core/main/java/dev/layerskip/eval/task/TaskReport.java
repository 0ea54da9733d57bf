package dev.layerskip.eval.task;

import dev.layerskip.generate.SamplingConfig;

import java.util.List;
import java.util.Locale;

/**
 * The result of evaluating one model on one task with several strategies.
 *
 * @param model the model's name (its directory name)
 * @param task the task's name (the task file's name without {@code .jsonl})
 * @param metric how predictions were scored
 * @param examples how many examples every strategy generated for
 * @param maxNewTokens the generation budget per example
 * @param sampling the sampling settings every generation used (greedy by default)
 * @param results one per strategy, autoregressive first
 */
public record TaskReport(
        String model, String task, TaskMetric metric, int examples, int maxNewTokens, SamplingConfig sampling, List<StrategyResult> results) {

    /** Validates and copies the fields. */
    public TaskReport {
        if (model == null || task == null || metric == null || sampling == null || results == null || results.isEmpty()) {
            throw new IllegalArgumentException("a task report needs a model, a task, a metric, sampling settings and results");
        }
        results = List.copyOf(results);
    }

    /**
     * @param label a strategy's label, e.g. {@code early-exit E=4}
     * @return its result
     * @throws IllegalArgumentException naming the labels there are
     */
    public StrategyResult result(String label) {
        for (StrategyResult r : results) {
            if (r.label().equals(label)) {
                return r;
            }
        }
        throw new IllegalArgumentException("no strategy '" + label + "' in this report; have "
                + results.stream().map(StrategyResult::label).toList());
    }

    /** @return the autoregressive (full model) result */
    public StrategyResult autoregressive() {
        return result("autoregressive");
    }

    /**
     * The share of the full model's primary score a strategy keeps.
     *
     * @param label the strategy's label
     * @return its primary score / autoregressive's (NaN if autoregressive's is 0)
     */
    public double shareOfFullModel(String label) {
        int p = metric.primaryIndex();
        double full = autoregressive().scores().get(p);
        return full == 0 ? Double.NaN : result(label).scores().get(p) / full;
    }

    /** @return the results as a plain-text table, one row per strategy */
    public String table() {
        StringBuilder b = new StringBuilder();
        String decoding = sampling.isGreedy() ? "greedy" : String.format(Locale.ROOT, "sampling (temperature %s, top-k %d, top-p %s, seed %d)",
                sampling.temperature(), sampling.topK(), sampling.topP(), sampling.seed());
        b.append(String.format(Locale.ROOT, "model %s, task %s: %d examples, up to %d new tokens, %s, interleaved%n",
                model, task, examples, maxNewTokens, decoding));
        b.append(String.format(Locale.ROOT, "%-28s", "strategy"));
        for (String c : metric.columns()) {
            b.append(String.format(Locale.ROOT, " %17s", c));
        }
        b.append(String.format(Locale.ROOT, " %9s %8s %10s  %s%n", "tok/s", "speedup", "acceptance", "identical to autoregressive"));
        for (StrategyResult r : results) {
            b.append(String.format(Locale.ROOT, "%-28s", r.label()));
            for (double s : r.scores()) {
                b.append(String.format(Locale.ROOT, " %17.4f", s));
            }
            b.append(String.format(Locale.ROOT, " %9.1f %7.2fx %10s  %s%n", r.tokensPerSecond(), r.speedup(),
                    r.numSpeculations() == 0 ? "-" : String.format(Locale.ROOT, "%.3f", r.acceptanceRate()), identical(r)));
        }
        return b.toString();
    }

    private String identical(StrategyResult r) {
        if (r.label().equals("autoregressive")) {
            return "(reference)";
        }
        String counts = "(" + r.differingOutputs() + " of " + examples + " differ)";
        return (r.identicalToAutoregressive() ? "yes " : "no ") + counts;
    }
}
