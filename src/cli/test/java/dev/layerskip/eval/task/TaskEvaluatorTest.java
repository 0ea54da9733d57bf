package dev.layerskip.eval.task;

import dev.layerskip.bench.TaskReports;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.layerskip.CliRun;
import dev.layerskip.generate.AutoregressiveGenerator;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.SamplingConfig;
import dev.layerskip.generate.TokenListener;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

/** A small evaluation on the demo model: self-speculative decoding scores exactly what autoregressive decoding scores. */
class TaskEvaluatorTest {

    private static final Path DEMO = Path.of("models/layerskip-demo");
    private static final Path BODY = Path.of("tasks/python-body-completion.jsonl");
    private static LoadedModel demo;

    @BeforeAll
    static void load() throws Exception {
        demo = LoadedModel.load(DEMO, LoadOptions.CPU_FLOAT32);
    }

    @AfterAll
    static void close() {
        demo.close();
    }

    @Test
    void selfSpeculativeScoresEqualAutoregressive() throws Exception {
        List<TaskExample> examples = TaskFile.read(BODY).subList(0, 4);
        List<TaskStrategy> strategies = List.of(TaskStrategy.earlyExit(4), TaskStrategy.autoregressive(),
                TaskStrategy.selfSpeculative(2, 3), TaskStrategy.selfSpeculative(5, 2));
        List<int[]> progress = new ArrayList<>();
        TaskReport report = new TaskEvaluator(demo, strategies, TaskMetric.CODE, 16)
                .evaluate("python-body-completion", examples, (done, total) -> progress.add(new int[] {done, total}));
        assertEquals("layerskip-demo", report.model());
        assertEquals(4, report.examples());
        assertEquals(List.of("autoregressive", "early-exit E=4", "self-speculative E=2 d=3", "self-speculative E=5 d=2"),
                report.results().stream().map(StrategyResult::label).toList());
        assertEquals(4, progress.size());
        assertEquals(4, progress.get(3)[0]);
        assertEquals(4, progress.get(3)[1]);
        StrategyResult ar = report.autoregressive();
        assertEquals(1.0, ar.speedup(), 1e-12);
        for (String label : List.of("self-speculative E=2 d=3", "self-speculative E=5 d=2")) {
            StrategyResult ss = report.result(label);
            assertEquals(ar.scores(), ss.scores(), label);
            assertEquals(ar.predictions(), ss.predictions(), label);
            assertEquals(ar.newTokens(), ss.newTokens(), label);
            assertTrue(ss.identicalToAutoregressive(), label);
            assertTrue(ss.acceptanceRate() > 0 && ss.acceptanceRate() <= 1, label);
            assertEquals(1.0, report.shareOfFullModel(label), 1e-12);
        }
        assertEquals(0.0, report.result("early-exit E=4").acceptanceRate());
        // the autoregressive predictions are the generator's own output cut at the stop strings, scored by the metric
        GenerationConfig config = new GenerationConfig(16, SamplingConfig.GREEDY, demo.defaults().eosTokenIds(), List.of());
        double[] sums = new double[3];
        for (int i = 0; i < examples.size(); i++) {
            GenerationResult r = new AutoregressiveGenerator(demo.model(), demo.tokenizer(), demo.model().numLayers())
                    .generate(demo.tokenizer().encode(examples.get(i).prompt()), config, TokenListener.NONE);
            assertEquals(r.text(), ar.predictions().get(i));
            double[] s = TaskMetric.CODE.score(r.text(), examples.get(i).reference());
            for (int c = 0; c < 3; c++) {
                sums[c] += s[c] / examples.size();
            }
        }
        for (int c = 0; c < 3; c++) {
            assertEquals(sums[c], ar.scores().get(c), 1e-12);
        }
        String table = report.table();
        assertTrue(table.contains("yes (0 of 4 differ)"), table);
        String csv = TaskReports.csv(List.of(report));
        assertEquals(5, csv.split("\n").length, csv);
        assertTrue(csv.startsWith("model,task,strategy,exit_layer,num_speculations,first_line_exact,first_lines_exact,edit_similarity,"), csv);
        assertTrue(csv.contains("\nlayerskip-demo,python-body-completion,self-speculative E=5 d=2,5,2,"), csv);
    }

    @Test
    void stopStringsEndPredictions() throws Exception {
        List<TaskExample> examples = TaskFile.read(Path.of("tasks/python-docstring-to-signature.jsonl")).subList(0, 3);
        TaskReport report = new TaskEvaluator(demo, List.of(TaskStrategy.autoregressive(), TaskStrategy.selfSpeculative(5, 2)),
                TaskMetric.CODE, 12).evaluate("sig", examples, TaskProgress.NONE);
        for (StrategyResult r : report.results()) {
            for (String p : r.predictions()) {
                assertFalse(p.contains("\n"), r.label() + ": " + p);
            }
        }
        assertEquals(report.results().get(0).predictions(), report.results().get(1).predictions());
    }

    @Test
    void promptsLongerThanTheContextNameTheirLine() throws Exception {
        String longPrompt = "x = 1\\n".repeat(600);
        byte[] file = ("{\"prompt\": \"def f():\", \"reference\": \"a\"}\n{\"prompt\": \"" + longPrompt + "\", \"reference\": \"a\"}\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        List<TaskExample> examples = TaskFile.parse("long.jsonl", file);
        TaskEvaluator evaluator = new TaskEvaluator(demo, List.of(TaskStrategy.autoregressive()), TaskMetric.CODE, 8);
        TaskFileException e = assertThrows(TaskFileException.class, () -> evaluator.evaluate("long", examples, TaskProgress.NONE));
        assertTrue(e.getMessage().startsWith("long.jsonl:2: the prompt is "), e.getMessage());
        assertTrue(e.getMessage().endsWith("more than the model's context of 1024"), e.getMessage());
        // a prompt that fits alone but not with the generation budget
        int length = demo.tokenizer().encode(examples.get(0).prompt()).length;
        TaskEvaluator big = new TaskEvaluator(demo, List.of(TaskStrategy.autoregressive()), TaskMetric.CODE, 1025 - length);
        TaskFileException budget = assertThrows(TaskFileException.class,
                () -> big.evaluate("long", examples.subList(0, 1), TaskProgress.NONE));
        assertEquals("long.jsonl:1: the prompt is " + length + " tokens; with " + (1025 - length) + " new tokens it needs 1025 positions, "
                + "more than the model's context of 1024", budget.getMessage());
    }

    @Test
    void strategiesMustHaveOneAutoregressiveAndFitTheModel() {
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> new TaskEvaluator(demo, List.of(TaskStrategy.earlyExit(2)), TaskMetric.CODE, 8));
        assertTrue(none.getMessage().contains("must include autoregressive exactly once"), none.getMessage());
        IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> new TaskEvaluator(demo,
                List.of(TaskStrategy.autoregressive(), TaskStrategy.earlyExit(2), TaskStrategy.earlyExit(2)), TaskMetric.CODE, 8));
        assertEquals("strategy early-exit E=2 is listed twice", twice.getMessage());
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class, () -> new TaskEvaluator(demo,
                List.of(TaskStrategy.autoregressive(), TaskStrategy.selfSpeculative(8, 2)), TaskMetric.CODE, 8));
        assertEquals("exit layer 8 is outside 1..7 for self-speculative decoding", outside.getMessage());
    }

    @Test
    void cliWritesJsonCsvAndChartForTwoModels(@TempDir Path dir) throws Exception {
        String prefix = dir.resolve("eval").toString();
        CliRun.Result r = CliRun.run("evaluate", "--task", BODY.toString(), "--limit", "3", "--max-new-tokens", "8",
                "--compare-model", "models/baseline-demo", "--json", "--out", prefix);
        assertEquals(0, r.status(), r.err());
        assertTrue(r.err().contains("evaluate layerskip-demo: 3/3 examples x 4 strategies"), r.err());
        assertTrue(r.err().contains("evaluate baseline-demo: 3/3 examples x 4 strategies"), r.err());
        JsonObject root = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals("code", root.get("metric").getAsString());
        assertEquals("edit_similarity", root.get("primary_metric").getAsString());
        JsonArray models = root.getAsJsonArray("models");
        assertEquals(2, models.size());
        assertEquals("baseline-demo", models.get(1).getAsJsonObject().get("model").getAsString());
        for (int m = 0; m < 2; m++) {
            JsonArray rows = models.get(m).getAsJsonObject().getAsJsonArray("results");
            assertEquals(List.of("autoregressive", "early-exit E=2", "early-exit E=4"), List.of(rows.get(0).getAsJsonObject().get("strategy").getAsString(),
                    rows.get(1).getAsJsonObject().get("strategy").getAsString(), rows.get(2).getAsJsonObject().get("strategy").getAsString()));
            JsonObject ss = rows.get(3).getAsJsonObject();
            assertTrue(ss.get("identical_to_autoregressive").getAsBoolean());
            assertEquals(rows.get(0).getAsJsonObject().get("scores"), ss.get("scores"));
            assertEquals(1.0, ss.get("share_of_full_model").getAsDouble());
        }
        assertEquals("self-speculative E=5 d=2", models.get(0).getAsJsonObject().getAsJsonArray("results").get(3).getAsJsonObject()
                .get("strategy").getAsString());
        // the baseline has no layerskip.json: E = L/4, d chosen at load by calibration (1..8, timing decides which)
        String calibrated = models.get(1).getAsJsonObject().getAsJsonArray("results").get(3).getAsJsonObject()
                .get("strategy").getAsString();
        assertTrue(calibrated.matches("self-speculative E=2 d=[1-8]"), calibrated);
        List<String> csv = Files.readAllLines(Path.of(prefix + ".csv"));
        assertEquals(9, csv.size());
        BufferedImage png = ImageIO.read(Path.of(prefix + ".png").toFile());
        assertEquals(820, png.getWidth());
        assertEquals(520, png.getHeight());
    }

    @Test
    void cliTableAndErrors(@TempDir Path dir) throws Exception {
        CliRun.Result r = CliRun.run("evaluate", "--task", "tasks/python-docstring-to-signature.jsonl", "--limit", "2",
                "--max-new-tokens", "6", "--strategies", "autoregressive,self-speculative:4:1");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("self-speculative E=4 d=1"), r.out());
        assertTrue(r.out().contains("yes (0 of 2 differ)"), r.out());
        // sampling: seeded, so two runs generate and score the same
        String[] sampled = {"evaluate", "--task", "tasks/python-docstring-to-signature.jsonl", "--limit", "3", "--max-new-tokens", "6",
            "--strategies", "autoregressive,early-exit:4", "--temperature", "0.9", "--top-k", "40", "--seed", "5"};
        CliRun.Result table = CliRun.run(sampled);
        assertEquals(0, table.status(), table.err());
        assertTrue(table.out().contains("sampling (temperature 0.9, top-k 40, top-p 1.0, seed 5)"), table.out());
        List<String> scores = new ArrayList<>();
        for (int run = 0; run < 2; run++) {
            List<String> args = new ArrayList<>(List.of(sampled));
            args.add("--json");
            CliRun.Result json = CliRun.run(args.toArray(String[]::new));
            assertEquals(0, json.status(), json.err());
            JsonArray rows = JsonParser.parseString(json.out()).getAsJsonObject().getAsJsonArray("models").get(0).getAsJsonObject()
                    .getAsJsonArray("results");
            scores.add(rows.get(0).getAsJsonObject().get("scores") + " " + rows.get(1).getAsJsonObject().get("scores"));
        }
        assertEquals(scores.get(0), scores.get(1));
        CliRun.assertFails("top_p must be in (0, 1], got 2.0", "evaluate", "--task", BODY.toString(), "--top-p", "2");
        Path unnamed = dir.resolve("mine.jsonl");
        Files.writeString(unnamed, "{\"prompt\": \"a\", \"reference\": \"b\"}\n");
        CliRun.assertFails("mine.jsonl: cannot tell the metric from the file name", "evaluate", "--task", unnamed.toString());
        Path bad = dir.resolve("bad-code.jsonl");
        Files.writeString(bad, "{\"prompt\": \"a\", \"reference\": \"b\"}\n{\"prompt\": \"a\"}\n");
        CliRun.assertFails("bad-code.jsonl:2: missing field \"reference\"", "evaluate", "--task", bad.toString());
        CliRun.assertFails("strategy 'early-exit:x': 'x' is not a whole number", "evaluate", "--task", BODY.toString(), "--strategies", "autoregressive,early-exit:x");
        CliRun.assertFails("must include autoregressive exactly once", "evaluate", "--task", BODY.toString(), "--strategies", "early-exit:2");
        CliRun.assertFails("--limit must be >= 1, got 0", "evaluate", "--task", BODY.toString(), "--limit", "0");
        CliRun.assertFails("unknown metric 'bleu'", "evaluate", "--task", BODY.toString(), "--metric", "bleu");
        CliRun.assertFails("--compare-model directory not found", "evaluate", "--task", BODY.toString(), "--compare-model", dir.resolve("x").toString());
    }
}
