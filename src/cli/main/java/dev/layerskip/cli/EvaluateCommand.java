package dev.layerskip.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;

import dev.layerskip.bench.TaskReports;
import dev.layerskip.eval.task.StrategyResult;
import dev.layerskip.eval.task.TaskEvaluator;
import dev.layerskip.eval.task.TaskExample;
import dev.layerskip.eval.task.TaskFile;
import dev.layerskip.eval.task.TaskMetric;
import dev.layerskip.eval.task.TaskReport;
import dev.layerskip.eval.task.TaskStrategy;
import dev.layerskip.generate.SamplingConfig;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code evaluate}: task quality and speed of each decoding strategy on a JSONL task file, every
 * strategy on every example, timed interleaved; optionally several models on one chart.
 */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Task metrics, tokens/s and speed-up of each decoding strategy on a JSONL task file.")
final class EvaluateCommand implements Callable<Integer> {

    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--task", required = true, paramLabel = "FILE.jsonl",
            description = "Task file: one {\"prompt\", \"reference\", optional \"stop\", \"id\"} object per line.")
    Path task;

    @Option(names = "--strategies", paramLabel = "S,...",
            description = "autoregressive, early-exit[:E], self-speculative[:E:D], comma-separated "
                    + "(default: autoregressive,early-exit:L/4,early-exit:L/2,self-speculative).")
    String strategies;

    @Option(names = "--metric", paramLabel = "rouge|exact-match|code",
            description = "How predictions are scored (default: from the task file's name).")
    String metric;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Tokens per example (default: ${DEFAULT-VALUE}).")
    int maxNewTokens = 48;

    @Mixin SamplingOptions samplingOptions;

    @Option(names = "--limit", paramLabel = "K", description = "Use only the first K examples.")
    Integer limit;

    @Option(names = "--compare-model", paramLabel = "DIR",
            description = "Also evaluate this checkpoint (repeatable); all models share the table, CSV and chart.")
    List<Path> compareModels = new ArrayList<>();

    @Option(names = "--json", description = "Print JSON instead of tables.")
    boolean json;

    @Option(names = "--out", paramLabel = "PREFIX", description = "Write PREFIX.csv and PREFIX.png (metric vs speed-up).")
    String out;

    @Override
    public Integer call() throws Exception {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("--max-new-tokens must be >= 1, got " + maxNewTokens);
        }
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("--limit must be >= 1, got " + limit);
        }
        SamplingConfig sampling = samplingOptions.config();
        TaskMetric taskMetric = metric != null ? TaskMetric.fromName(metric) : TaskMetric.forTaskFile(task);
        List<TaskStrategy> chosen = strategies != null ? TaskStrategy.parseList(strategies) : null;
        List<TaskExample> examples = TaskFile.read(task);
        if (limit != null && limit < examples.size()) {
            examples = examples.subList(0, limit);
        }
        String taskName = task.getFileName().toString().replaceFirst("\\.jsonl$", "");
        List<Path> models = new ArrayList<>();
        models.add(modelOptions.checkedDirectory());
        for (Path p : compareModels) {
            if (!Files.isDirectory(p)) {
                throw new IllegalArgumentException(p + ": --compare-model directory not found");
            }
            models.add(p);
        }
        PrintWriter err = spec.commandLine().getErr();
        List<TaskReport> reports = new ArrayList<>();
        List<Double> seconds = new ArrayList<>();
        for (Path dir : models) {
            try (LoadedModel loaded = LoadedModel.load(dir, new LoadOptions(modelOptions.device(), modelOptions.precision(), modelOptions.layout(),
                    modelOptions.kvCache()))) {
                List<TaskStrategy> list = chosen != null ? chosen : TaskStrategy.defaults(loaded.model().numLayers());
                TaskEvaluator evaluator = new TaskEvaluator(loaded, list, taskMetric, maxNewTokens, sampling);
                String name = evaluator.modelName();
                long start = System.nanoTime();
                int stride = Math.max(1, examples.size() / 10);
                reports.add(evaluator.evaluate(taskName, examples, (done, total) -> {
                    if (done % stride == 0 || done == total) {
                        err.printf(Locale.ROOT, "evaluate %s: %d/%d examples x %d strategies, %.1f s%n", name, done, total,
                                list.size(), (System.nanoTime() - start) / 1e9);
                        err.flush();
                    }
                }));
                seconds.add((System.nanoTime() - start) / 1e9);
            }
        }
        List<Path> written = out != null ? TaskReports.write(out, reports) : List.of();
        print(reports, seconds, written);
        return 0;
    }

    private void print(List<TaskReport> reports, List<Double> seconds, List<Path> written) {
        PrintWriter o = spec.commandLine().getOut();
        if (json) {
            JsonObject root = new JsonObject();
            root.addProperty("task", reports.get(0).task());
            root.addProperty("metric", reports.get(0).metric().cliName());
            root.addProperty("primary_metric", reports.get(0).metric().primary());
            root.addProperty("max_new_tokens", maxNewTokens);
            root.addProperty("temperature", samplingOptions.temperature);
            JsonArray array = new JsonArray();
            for (int m = 0; m < reports.size(); m++) {
                TaskReport report = reports.get(m);
                JsonObject mo = new JsonObject();
                mo.addProperty("model", report.model());
                mo.addProperty("examples", report.examples());
                mo.addProperty("seconds", seconds.get(m));
                JsonArray rows = new JsonArray();
                for (StrategyResult r : report.results()) {
                    JsonObject ro = new JsonObject();
                    ro.addProperty("strategy", r.label());
                    ro.addProperty("exit_layer", r.exitLayer());
                    ro.addProperty("num_speculations", r.numSpeculations());
                    JsonObject scores = new JsonObject();
                    for (int c = 0; c < r.scores().size(); c++) {
                        scores.addProperty(report.metric().columns().get(c), r.scores().get(c));
                    }
                    ro.add("scores", scores);
                    double share = report.shareOfFullModel(r.label());
                    ro.add("share_of_full_model", Double.isNaN(share) ? JsonNull.INSTANCE : new JsonPrimitive(share));
                    ro.addProperty("new_tokens", r.newTokens());
                    ro.addProperty("tokens_per_second", r.tokensPerSecond());
                    ro.addProperty("speedup", r.speedup());
                    ro.addProperty("acceptance_rate", r.acceptanceRate());
                    ro.addProperty("identical_to_autoregressive", r.identicalToAutoregressive());
                    ro.addProperty("differing_outputs", r.differingOutputs());
                    rows.add(ro);
                }
                mo.add("results", rows);
                array.add(mo);
            }
            root.add("models", array);
            if (!written.isEmpty()) {
                root.addProperty("csv", written.get(0).toString());
                root.addProperty("png", written.get(1).toString());
            }
            o.println(new GsonBuilder().setPrettyPrinting().create().toJson(root));
            return;
        }
        for (int m = 0; m < reports.size(); m++) {
            TaskReport report = reports.get(m);
            o.print(report.table());
            o.printf(Locale.ROOT, "metric %s (primary %s); %.1f s for %d examples x %d strategies%n%n", report.metric().cliName(),
                    report.metric().primary(), seconds.get(m), report.examples(), report.results().size());
        }
        if (!written.isEmpty()) {
            o.printf("wrote %s and %s%n", written.get(0), written.get(1));
        }
    }
}
