package dev.layerskip.eval.task;

import dev.layerskip.checkpoint.SpeculationDefaults;
import dev.layerskip.generate.DecodingStrategy;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.Generator;
import dev.layerskip.generate.PlanCalibration;
import dev.layerskip.generate.SamplingConfig;
import dev.layerskip.generate.TokenListener;
import dev.layerskip.model.LoadedModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Evaluates decoding strategies on a task: every strategy generates for every example (greedy unless
 * sampling settings are given), and
 * each prediction (cut at the example's stop strings) is scored against the reference. Timing is
 * interleaved: for each example every strategy runs once, in an order rotated by one per example, so
 * machine noise hits all strategies alike and speed-ups are measured side by side. One warm-up
 * generation per strategy comes first and is not counted.
 *
 * <pre>{@code
 * try (LoadedModel m = LoadedModel.load(dir, LoadOptions.CPU_FLOAT32)) {
 *     TaskReport report = new TaskEvaluator(m, TaskStrategy.defaults(m.model().numLayers()), TaskMetric.CODE, 48)
 *             .evaluate("python-body-completion", TaskFile.read(file), TaskProgress.NONE);
 *     System.out.print(report.table());
 * }
 * }</pre>
 */
public final class TaskEvaluator {

    private final LoadedModel loaded;
    private final List<TaskStrategy> strategies;
    private final TaskMetric metric;
    private final int maxNewTokens;
    private final SamplingConfig sampling;

    /**
     * Greedy evaluation.
     *
     * @param loaded the model, with its tokenizer
     * @param strategies the strategies; exactly one must be autoregressive (the reference)
     * @param metric how predictions are scored
     * @param maxNewTokens the generation budget per example, ≥ 1
     * @throws IllegalArgumentException if the model has no tokenizer, the strategies do not fit the
     *     model, none or two are autoregressive, or two resolve to the same setting
     */
    public TaskEvaluator(LoadedModel loaded, List<TaskStrategy> strategies, TaskMetric metric, int maxNewTokens) {
        this(loaded, strategies, metric, maxNewTokens, SamplingConfig.GREEDY);
    }

    /**
     * Evaluation with the given sampling settings, the same for every strategy and example (with a
     * seed, every generation starts from the same seed; only greedy outputs of self-speculative
     * decoding are expected to equal autoregressive's token for token).
     *
     * @param loaded the model, with its tokenizer
     * @param strategies the strategies; exactly one must be autoregressive (the reference)
     * @param metric how predictions are scored
     * @param maxNewTokens the generation budget per example, ≥ 1
     * @param sampling greedy or sampling settings
     * @throws IllegalArgumentException if the model has no tokenizer, the strategies do not fit the
     *     model, none or two are autoregressive, or two resolve to the same setting
     */
    public TaskEvaluator(LoadedModel loaded, List<TaskStrategy> strategies, TaskMetric metric, int maxNewTokens,
            SamplingConfig sampling) {
        if (sampling == null) {
            throw new IllegalArgumentException("sampling must not be null");
        }
        if (loaded.tokenizer() == null) {
            throw new IllegalArgumentException(loaded.directory().resolve("tokenizer.json") + ": not found; task evaluation needs a tokenizer");
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max new tokens must be >= 1, got " + maxNewTokens);
        }
        if (metric == null) {
            throw new IllegalArgumentException("metric must not be null");
        }
        long autoregressive = strategies.stream().filter(s -> s.strategy() == DecodingStrategy.AUTOREGRESSIVE).count();
        if (autoregressive != 1) {
            throw new IllegalArgumentException("the strategies must include autoregressive exactly once (the reference for "
                    + "speed-up and identical outputs), got " + autoregressive);
        }
        List<TaskStrategy> planned = new ArrayList<>(); // what the checkpoint and the user leave open, calibrated as generate does
        for (TaskStrategy s : strategies) {
            planned.add(new TaskStrategy(PlanCalibration.plan(s.settings(), loaded.model(), loaded.speculationDefaults(),
                    loaded.directory()).settings()));
        }
        Set<String> labels = new HashSet<>();
        for (TaskStrategy s : planned) {
            String label = s.label(loaded.model(), loaded.speculationDefaults());
            if (!labels.add(label)) {
                throw new IllegalArgumentException("strategy " + label + " is listed twice");
            }
        }
        this.loaded = loaded;
        this.strategies = List.copyOf(planned);
        this.metric = metric;
        this.maxNewTokens = maxNewTokens;
        this.sampling = sampling;
    }

    /**
     * Runs the evaluation.
     *
     * @param task the task's name, for the report
     * @param examples the examples (all are used; take a sublist to limit)
     * @param progress told after each example
     * @return the report, autoregressive first, then the strategies in the order given
     * @throws TaskFileException naming the example's file and line if a prompt does not fit the
     *     model's context with room for {@code maxNewTokens} new tokens (checked before generating)
     */
    public TaskReport evaluate(String task, List<TaskExample> examples, TaskProgress progress) throws TaskFileException {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("no examples to evaluate");
        }
        List<TaskStrategy> ordered = new ArrayList<>(strategies);
        ordered.sort((a, b) -> Boolean.compare(b.strategy() == DecodingStrategy.AUTOREGRESSIVE, a.strategy() == DecodingStrategy.AUTOREGRESSIVE));
        Optional<SpeculationDefaults> defaults = loaded.speculationDefaults();
        List<Generator> generators = new ArrayList<>();
        for (TaskStrategy s : ordered) {
            generators.add(s.generator(loaded.model(), loaded.tokenizer(), defaults, loaded.directory()));
        }
        int[][] prompts = prompts(examples);
        int n = ordered.size();
        int count = examples.size();
        List<Integer> eos = loaded.defaults().eosTokenIds();
        GenerationConfig warmUp = new GenerationConfig(maxNewTokens, sampling, eos, examples.get(0).stop());
        for (Generator g : generators) {
            g.generate(prompts[0], warmUp, TokenListener.NONE);
        }
        StrategyRun[] runs = new StrategyRun[n];
        for (int s = 0; s < n; s++) {
            runs[s] = new StrategyRun(count);
        }
        for (int i = 0; i < count; i++) {
            TaskExample example = examples.get(i);
            GenerationConfig config = new GenerationConfig(maxNewTokens, sampling, eos, example.stop());
            for (int j = 0; j < n; j++) {
                int s = (i + j) % n;
                long start = System.nanoTime();
                GenerationResult result = generators.get(s).generate(prompts[i], config, TokenListener.NONE);
                runs[s].add(i, result, System.nanoTime() - start, example.prediction(result.text()));
            }
            progress.onExample(i + 1, count);
        }
        double referenceSpeed = runs[0].tokens * 1e9 / Math.max(1, runs[0].nanos);
        List<StrategyResult> results = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            results.add(strategyResult(ordered.get(s), runs[s], runs[0], examples, referenceSpeed, defaults));
        }
        return new TaskReport(modelName(), task, metric, count, maxNewTokens, sampling, results);
    }

    // one strategy's row: mean scores, speed-up over the reference, and how many outputs differ from the reference's
    private StrategyResult strategyResult(TaskStrategy strategy, StrategyRun run, StrategyRun reference,
            List<TaskExample> examples, double referenceSpeed, Optional<SpeculationDefaults> defaults) {
        int count = examples.size();
        double[] scoreSums = new double[metric.columns().size()];
        int differing = 0;
        for (int i = 0; i < count; i++) {
            double[] scores = metric.score(run.predicted[i], examples.get(i).reference());
            for (int c = 0; c < scores.length; c++) {
                scoreSums[c] += scores[c];
            }
            if (!Arrays.equals(run.ids[i], reference.ids[i])) {
                differing++;
            }
        }
        List<Double> means = new ArrayList<>();
        for (double sum : scoreSums) {
            means.add(sum / count);
        }
        double seconds = run.nanos / 1e9;
        double speed = seconds == 0 ? 0 : run.tokens / seconds;
        return new StrategyResult(strategy.label(loaded.model(), defaults), strategy.strategy(),
                strategy.exitLayer(loaded.model(), defaults), strategy.numSpeculations(defaults), means, run.tokens, seconds,
                referenceSpeed == 0 ? 0 : speed / referenceSpeed, run.drafted == 0 ? 0 : (double) run.accepted / run.drafted,
                differing, Arrays.asList(run.predicted));
    }

    /** @return the model's name in reports: its directory's name */
    public String modelName() {
        return loaded.directory().toAbsolutePath().normalize().getFileName().toString();
    }

    private int[][] prompts(List<TaskExample> examples) throws TaskFileException {
        int context = loaded.model().config().maxPositions();
        int[][] out = new int[examples.size()][];
        for (int i = 0; i < out.length; i++) {
            TaskExample e = examples.get(i);
            out[i] = loaded.tokenizer().encode(e.prompt());
            long needed = (long) out[i].length + maxNewTokens;
            if (needed > context) {
                throw new TaskFileException(e.source() + ": the prompt is " + out[i].length + " tokens; with " + maxNewTokens
                        + " new tokens it needs " + needed + " positions, more than the model's context of " + context);
            }
        }
        return out;
    }

    /** One strategy's generations and totals over the examples. */
    private static final class StrategyRun {
        long tokens;
        long nanos;
        long drafted;
        long accepted;
        final int[][] ids;
        final String[] predicted;

        StrategyRun(int count) {
            ids = new int[count][];
            predicted = new String[count];
        }

        // counts one example's generation, timed at elapsedNanos
        void add(int example, GenerationResult result, long elapsedNanos, String prediction) {
            nanos += elapsedNanos;
            tokens += result.tokenIds().length;
            drafted += result.stats().drafted();
            accepted += result.stats().accepted();
            ids[example] = result.tokenIds();
            predicted[example] = prediction;
        }
    }
}
