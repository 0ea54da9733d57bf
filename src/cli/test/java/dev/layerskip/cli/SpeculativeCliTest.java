package dev.layerskip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.layerskip.CliRun;
import dev.layerskip.TestCheckpoints;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** generate --strategy self-speculative, bench, sweep (CSV, PNG, saved defaults) and correctness. */
class SpeculativeCliTest {

    private static final String MODEL = TestCheckpoints.LLAMA3.toString();

    @Test
    void selfSpeculativeJsonMatchesAutoregressiveAndReportsStats() {
        CliRun.Result ar = CliRun.run("generate", "--model", MODEL, "--prompt-ids", "1,298,296,297,36", "--max-new-tokens", "20", "--json");
        CliRun.Result ss = CliRun.run("generate", "--model", MODEL, "--prompt-ids", "1,298,296,297,36", "--max-new-tokens", "20",
                "--strategy", "self-speculative", "--exit-layer", "2", "--num-speculations", "3", "--json");
        assertEquals(0, ss.status(), ss.err());
        JsonObject a = JsonParser.parseString(ar.out()).getAsJsonObject();
        JsonObject s = JsonParser.parseString(ss.out()).getAsJsonObject();
        assertEquals(a.get("token_ids"), s.get("token_ids"));
        assertEquals("self-speculative", s.get("strategy").getAsString());
        assertEquals(2, s.get("exit_layer").getAsInt());
        assertEquals(3, s.get("num_speculations").getAsInt());
        double rate = s.get("acceptance_rate").getAsDouble();
        assertEquals(s.get("accepted").getAsDouble() / s.get("drafted").getAsDouble(), rate, 1e-12);
        for (String f : new String[] {"rounds", "draft_ms", "verify_ms", "tokens_per_second"}) {
            assertTrue(s.has(f), f);
        }
    }

    @Test
    void whatNothingFixesIsCalibratedAtLoadAndReported() {
        String[] base = {"generate", "--model", MODEL, "--prompt-ids", "1,298,296,297,36", "--max-new-tokens", "16", "--json"};
        CliRun.Result ar = CliRun.run(base);
        java.util.List<String> open = new java.util.ArrayList<>(java.util.List.of(base));
        open.addAll(java.util.List.of("--strategy", "self-speculative"));
        CliRun.Result planned = CliRun.run(open.toArray(new String[0]));
        assertEquals(0, planned.status(), planned.err());
        JsonObject o = JsonParser.parseString(planned.out()).getAsJsonObject();
        JsonObject plan = o.getAsJsonObject("plan");
        assertEquals(plan.get("num_speculations"), o.get("num_speculations"));
        assertEquals(plan.get("pipelined"), o.get("pipelined"));
        assertEquals(0.8, plan.get("assumed_acceptance").getAsDouble());
        assertTrue(plan.get("full_step_ms").getAsDouble() > 0, plan.toString());
        assertEquals(JsonParser.parseString(ar.out()).getAsJsonObject().get("token_ids"), o.get("token_ids"));
        open.addAll(java.util.List.of("--num-speculations", "3", "--no-pipelined"));
        JsonObject fixed = JsonParser.parseString(CliRun.run(open.toArray(new String[0])).out()).getAsJsonObject();
        assertTrue(!fixed.has("plan"), "d and the schedule given: nothing to calibrate");
        assertEquals(3, fixed.get("num_speculations").getAsInt());
    }

    @Test
    void pipelinedGenerateMatchesAutoregressiveAndConflictsAreNamed() {
        CliRun.Result ar = CliRun.run("generate", "--model", MODEL, "--prompt-ids", "1,57,283,14", "--max-new-tokens", "24", "--json");
        CliRun.Result pipe = CliRun.run("generate", "--model", MODEL, "--prompt-ids", "1,57,283,14", "--max-new-tokens", "24",
                "--strategy", "self-speculative", "--exit-layer", "1", "--num-speculations", "2", "--pipelined", "--json");
        assertEquals(0, pipe.status(), pipe.err());
        assertEquals(JsonParser.parseString(ar.out()).getAsJsonObject().get("token_ids"),
                JsonParser.parseString(pipe.out()).getAsJsonObject().get("token_ids"));
        assertBad("speculative_pipeline needs the self-speculative strategy", "--strategy", "early-exit", "--pipelined");
        assertBad("speculative_pipeline needs a fixed draft length", "--strategy", "self-speculative", "--pipelined",
                "--draft-confidence", "auto");
    }

    @Test
    void pipelinedSweepMatchesAutoregressiveInEveryCellAndSavesAPipelinedPlan(@TempDir Path tmp) throws IOException {
        CliRun.Result r = CliRun.run("sweep", "--model", MODEL, "--exit-layers", "1,2", "--num-speculations", "1,3",
                "--max-new-tokens", "12", "--repeats", "1", "--pipelined", "--out", tmp.resolve("s").toString());
        assertEquals(0, r.status(), r.err());
        java.util.List<String> lines = Files.readAllLines(tmp.resolve("s.csv"));
        assertEquals(5, lines.size(), String.join("\n", lines));
        for (String line : lines.subList(1, lines.size())) {
            assertTrue(line.endsWith(",true"), "greedy output equal to autoregressive: " + line);
        }
        // the saved plan records the schedule; generate follows it unless told otherwise, with the same ids
        Path copy = tmp.resolve("model");
        Files.createDirectories(copy);
        try (java.util.stream.Stream<Path> files = Files.list(TestCheckpoints.LLAMA3)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        CliRun.Result saved = CliRun.run("sweep", "--model", copy.toString(), "--exit-layers", "2", "--num-speculations", "2",
                "--max-new-tokens", "12", "--repeats", "1", "--pipelined", "--save-defaults", "--out", tmp.resolve("t").toString());
        assertEquals(0, saved.status(), saved.err());
        assertEquals(JsonParser.parseString("{\"exit_layer\": 2, \"num_speculations\": 2, \"pipelined\": true}"),
                JsonParser.parseString(Files.readString(copy.resolve("layerskip.json"))));
        CliRun.Result ar = CliRun.run("generate", "--model", copy.toString(), "--prompt-ids", "1,57,283,14",
                "--max-new-tokens", "16", "--json");
        for (String[] flags : new String[][] {{}, {"--no-pipelined"}}) {
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("generate", "--model", copy.toString(),
                    "--prompt-ids", "1,57,283,14", "--max-new-tokens", "16", "--json", "--strategy", "self-speculative"));
            args.addAll(java.util.List.of(flags));
            CliRun.Result r2 = CliRun.run(args.toArray(new String[0]));
            assertEquals(0, r2.status(), r2.err());
            com.google.gson.JsonObject o = JsonParser.parseString(r2.out()).getAsJsonObject();
            assertEquals(flags.length == 0, o.get("pipelined").getAsBoolean(), String.join(" ", flags));
            assertEquals(JsonParser.parseString(ar.out()).getAsJsonObject().get("token_ids"), o.get("token_ids"));
        }
    }

    @Test
    void showDraftsStreamsTheSameAcceptedText() {
        CliRun.Result plain = CliRun.run("generate", "--model", MODEL, "--prompt", "The cat", "--max-new-tokens", "12");
        CliRun.Result view = CliRun.run("generate", "--model", MODEL, "--prompt", "The cat", "--max-new-tokens", "12",
                "--strategy", "self-speculative", "--exit-layer", "2", "--show-drafts");
        assertEquals(0, view.status(), view.err());
        String withoutRejected = view.out().replaceAll("\u001b\\[9;31m.*?\u001b\\[0m", "").replaceAll("\u001b\\[[0-9;]*m", "");
        assertEquals(plain.out(), withoutRejected);
    }

    @Test
    void badSpeculativeSettingsNameTheValue() {
        assertBad("exit layer 4 is outside 1..3 for self-speculative decoding", "--strategy", "self-speculative", "--exit-layer", "4");
        assertBad("num_speculations must be >= 1, got 0", "--strategy", "self-speculative", "--num-speculations", "0");
        assertBad("draft_confidence must be in (0, 1), got 1.5", "--strategy", "self-speculative", "--draft-confidence", "1.5");
        assertBad("--draft-confidence must be a number in (0, 1) or auto, got 'high'", "--strategy", "self-speculative", "--draft-confidence", "high");
        assertBad("num_speculations and draft_confidence need the self-speculative strategy", "--num-speculations", "2");
    }

    private static void assertBad(String fragment, String... extra) {
        String[] args = Stream.concat(Stream.of("generate", "--model", MODEL, "--prompt-ids", "1,2"), Stream.of(extra)).toArray(String[]::new);
        CliRun.assertFails(fragment, args);
    }

    @Test
    void sweepWritesCsvPngAndSavesDefaultsThatGenerateUses(@TempDir Path tmp) throws IOException {
        Path model = tmp.resolve("model");
        Files.createDirectories(model);
        try (Stream<Path> files = Files.list(TestCheckpoints.LLAMA3)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, model.resolve(f.getFileName()));
            }
        }
        CliRun.Result r = CliRun.run("sweep", "--model", model.toString(), "--exit-layers", "1,2", "--num-speculations", "1,3",
                "--max-new-tokens", "8", "--repeats", "1", "--out", tmp.resolve("grid").toString(), "--save-defaults", "--json");
        assertEquals(0, r.status(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(4, o.getAsJsonArray("cells").size());
        for (var c : o.getAsJsonArray("cells")) {
            assertTrue(c.getAsJsonObject().get("greedy_output_matches").getAsBoolean());
        }
        assertEquals(5, Files.readAllLines(tmp.resolve("grid.csv")).size());
        byte[] png = Files.readAllBytes(tmp.resolve("grid.png"));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
        JsonObject best = o.getAsJsonObject("best");
        JsonObject saved = JsonParser.parseString(Files.readString(model.resolve("layerskip.json"))).getAsJsonObject();
        assertEquals(best.get("exit_layer"), saved.get("exit_layer"));
        assertEquals(best.get("num_speculations"), saved.get("num_speculations"));
        CliRun.Result g = CliRun.run("generate", "--model", model.toString(), "--prompt-ids", "1,2,3", "--max-new-tokens", "4",
                "--strategy", "self-speculative", "--json");
        JsonObject gen = JsonParser.parseString(g.out()).getAsJsonObject();
        assertEquals(best.get("exit_layer"), gen.get("exit_layer"));
        assertEquals(best.get("num_speculations"), gen.get("num_speculations"));
    }

    @Test
    void benchAndCorrectnessCompareStrategies() {
        CliRun.Result b = CliRun.run("bench", "--model", MODEL, "--max-new-tokens", "8", "--repeats", "1",
                "--self-speculative", "2:3", "--draft-confidence", "auto", "--json");
        assertEquals(0, b.status(), b.err());
        JsonArray rows = JsonParser.parseString(b.out()).getAsJsonObject().getAsJsonArray("results");
        assertEquals(5, rows.size()); // autoregressive, E=1, E=2, self-speculative, its auto variant
        assertEquals("autoregressive", rows.get(0).getAsJsonObject().get("strategy").getAsString());
        assertEquals(1.0, rows.get(0).getAsJsonObject().get("speedup").getAsDouble(), 1e-12);
        assertTrue(rows.get(3).getAsJsonObject().get("greedy_output_matches").getAsBoolean());
        assertTrue(rows.get(4).getAsJsonObject().get("greedy_output_matches").getAsBoolean());
        CliRun.Result c = CliRun.run("correctness", "--model", MODEL, "--exit-layer", "1", "--num-speculations", "5", "--max-new-tokens", "16", "--json");
        assertEquals(0, c.status(), c.err());
        assertEquals(0, JsonParser.parseString(c.out()).getAsJsonObject().get("differing").getAsInt());
        CliRun.Result penalised = CliRun.run("correctness", "--model", MODEL, "--exit-layer", "1", "--num-speculations", "5",
                "--max-new-tokens", "16", "--repetition-penalty", "1.3", "--no-repeat-ngram-size", "3", "--json");
        assertEquals(0, penalised.status(), penalised.err());
        assertEquals(0, JsonParser.parseString(penalised.out()).getAsJsonObject().get("differing").getAsInt());
    }

    @Test
    void benchMeasuresTheCeilingWithForcedAgreementAndReportsCosts() {
        // bfloat16 packs where oneDNN can (AVX-512); elsewhere the same measurement in packed float32
        String dtype = dev.layerskip.model.WeightLayout.canPack(ai.djl.ndarray.types.DataType.BFLOAT16) ? "bfloat16" : "float32";
        CliRun.Result b = CliRun.run("bench", "--random-shape", "demo", "--agree-from", "4", "--dtype", dtype,
                "--weight-layout", "packed", "--max-new-tokens", "6", "--repeats", "1", "--exit-layers", "4",
                "--self-speculative", "4:3", "--prefill-lengths", "8", "--json");
        assertEquals(0, b.status(), b.err());
        JsonObject root = JsonParser.parseString(b.out()).getAsJsonObject();
        assertTrue(root.get("model").getAsString().contains(dtype + ", packed"), root.get("model").getAsString());
        JsonObject spec = root.getAsJsonArray("results").get(2).getAsJsonObject();
        assertEquals("self-speculative E=4 d=3", spec.get("strategy").getAsString());
        assertEquals(1.0, spec.get("acceptance_rate").getAsDouble(), 0.0);
        assertTrue(spec.get("greedy_output_matches").getAsBoolean());
        assertTrue(spec.get("predicted_speedup").getAsDouble() > 0);
        assertEquals(spec.get("predicted_speedup").getAsDouble(), spec.get("ceiling_speedup").getAsDouble(), 1e-12);
        assertTrue(spec.get("weight_bytes_per_token").getAsDouble() > 0);
        assertTrue(root.getAsJsonObject("engine_limit").get("gigabytes_per_second").getAsDouble() > 0);
        assertEquals(8, root.getAsJsonArray("prefill").get(0).getAsJsonObject().get("prompt_tokens").getAsInt());
        CliRun.assertFails("--agree-from must be in 1..7, got 0", "bench", "--random-shape", "demo", "--agree-from", "0",
                "--max-new-tokens", "4", "--repeats", "1");
        CliRun.assertFails("'packed' needs the CPU and float32 or bfloat16", "bench", "--random-shape", "demo",
                "--dtype", "float16", "--weight-layout", "packed", "--max-new-tokens", "4", "--repeats", "1");
        CliRun.assertFails("--prefill-lengths: 5000 is outside 1..1024", "bench", "--random-shape", "demo",
                "--max-new-tokens", "4", "--repeats", "1", "--self-speculative", "none", "--prefill-lengths", "5000");
    }

    @Test
    void int8LoadsFromTheCliAndForcedAgreementStillAcceptsEveryDraft() {
        CliRun.Result b = CliRun.run("bench", "--random-shape", "demo", "--agree-from", "4", "--dtype", "int8",
                "--max-new-tokens", "6", "--repeats", "1", "--exit-layers", "4", "--self-speculative", "4:3",
                "--prefill-lengths", "8", "--json");
        assertEquals(0, b.status(), b.err());
        JsonObject root = JsonParser.parseString(b.out()).getAsJsonObject();
        assertTrue(root.get("model").getAsString().contains("(float32, int8, "), root.get("model").getAsString());
        JsonObject spec = root.getAsJsonArray("results").get(2).getAsJsonObject();
        assertEquals("self-speculative E=4 d=3", spec.get("strategy").getAsString());
        assertEquals(1.0, spec.get("acceptance_rate").getAsDouble(), 0.0);
        assertTrue(spec.get("greedy_output_matches").getAsBoolean());
        CliRun.Result g = CliRun.run("generate", "--dtype", "int8", "--prompt", "def add(a, b):", "--max-new-tokens", "6", "--json");
        assertEquals(0, g.status(), g.err());
        JsonObject load = JsonParser.parseString(g.out()).getAsJsonObject().getAsJsonObject("load");
        assertEquals("int8", load.get("dtype").getAsString());
        assertEquals("int8", load.get("weight_layout").getAsString());
        CliRun.assertFails("dtype int8 lays its projections out for FBGEMM; the weight layout must be auto, got packed",
                "generate", "--dtype", "int8", "--weight-layout", "packed", "--prompt", "x", "--max-new-tokens", "2");
    }

    @Test
    void quantizeWritesAnInt8CheckpointThatGeneratesTheSameTokensWithNoFlags(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.nio.file.Path out = dir.resolve("demo-int8");
        CliRun.Result q = CliRun.run("quantize", "--out", out.toString());
        assertEquals(0, q.status(), q.err());
        assertTrue(q.out().startsWith("wrote " + out + ": model.safetensors "), q.out());
        String[] prompt = {"--prompt", "def add(a, b):", "--max-new-tokens", "12", "--json"};
        CliRun.Result atLoad = CliRun.run(concat(new String[] {"generate", "--dtype", "int8"}, prompt));
        CliRun.Result stored = CliRun.run(concat(new String[] {"generate", "--model", out.toString()}, prompt));
        assertEquals(0, stored.status(), stored.err());
        JsonObject a = JsonParser.parseString(atLoad.out()).getAsJsonObject();
        JsonObject b = JsonParser.parseString(stored.out()).getAsJsonObject();
        assertEquals(a.get("token_ids"), b.get("token_ids"));
        assertEquals("int8", b.getAsJsonObject("load").get("dtype").getAsString());
        CliRun.Result info = CliRun.run("info", "--model", out.toString());
        assertTrue(info.out().contains("stored dtype:     F16 (Linear weights int8: compressed-tensors int-quantized)"),
                info.out());
        CliRun.assertFails("exists and is not an empty directory", "quantize", "--out", out.toString());
        CliRun.assertFails("load it with dtype int8 or auto", "generate", "--model", out.toString(), "--dtype", "float32",
                "--prompt", "x", "--max-new-tokens", "2");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
