package dev.layerskip.cli;

import static dev.layerskip.CliRun.assertFails;
import static dev.layerskip.CliRun.run;

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

/** The command line: JSON shapes, streaming, and one-line errors with a non-zero status. */
class CliTest {

    private static final String MODEL = TestCheckpoints.LLAMA3.toString();

    /** Output of one CLI run. */


    @Test
    void aGpuTheEngineCannotUseIsOneLineNamingTheCudaBuild() {
        // this build carries the CPU native library: every command that loads says so in one line
        for (String[] args : new String[][] {
                {"generate", "--device", "gpu", "--prompt", "x"},
                {"info", "--device", "gpu"},
                {"bench", "--device", "gpu", "--random-shape", "demo"}}) {
            CliRun.Result r = run(args);
            assertEquals(1, r.status(), String.join(" ", args));
            assertEquals("error: " + TestCheckpoints.CPU_BUILD_GPU0 + System.lineSeparator(), r.err());
            assertEquals("", r.out());
        }
    }

    @Test
    void thePipelineOnAGpuIsOneLineNamingTheFlagBeforeAnythingLoads() {
        // the flag conflicts with the device whatever the build: told first, even before the device check
        for (String[] args : new String[][] {
                {"generate", "--device", "gpu", "--strategy", "self-speculative", "--pipelined", "--prompt", "x"},
                {"bench", "--device", "gpu", "--random-shape", "demo", "--pipelined"},
                {"sweep", "--device", "gpu", "--random-shape", "demo", "--pipelined"},
                {"correctness", "--device", "gpu", "--random-shape", "demo", "--pipelined"},
                {"serve", "--device", "gpu", "--model", MODEL, "--pipelined"}}) {
            CliRun.Result r = run(args);
            assertEquals(1, r.status(), String.join(" ", args));
            assertEquals("error: " + TestCheckpoints.PIPELINED_ON_GPU0 + System.lineSeparator(), r.err(), args[0]);
            assertEquals("", r.out());
        }
        // --no-pipelined asks for rounds: the device check speaks as before
        CliRun.Result r = run("generate", "--device", "gpu", "--no-pipelined", "--prompt", "x");
        assertEquals("error: " + TestCheckpoints.CPU_BUILD_GPU0 + System.lineSeparator(), r.err());
    }

    @Test
    void generateJsonHasTheDocumentedFields() {
        CliRun.Result r = run("generate", "--model", MODEL, "--prompt-ids", "1,298,296,297,36", "--max-new-tokens", "20",
                "--strategy", "early-exit", "--exit-layer", "2", "--json");
        assertEquals(0, r.status(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        JsonArray ids = o.getAsJsonArray("token_ids");
        assertEquals("[16,16,217,217,220,121,121,249,156,3]", ids.toString());
        assertEquals(10, o.get("new_tokens").getAsInt());
        assertEquals("[1,298,296,297,36]", o.getAsJsonArray("prompt_token_ids").toString());
        assertEquals("early-exit", o.get("strategy").getAsString());
        assertEquals(2, o.get("exit_layer").getAsInt());
        assertEquals("eos", o.get("finish_reason").getAsString());
        for (String field : new String[] {"text", "elapsed_ms", "tokens_per_second"}) {
            assertTrue(o.has(field), field);
        }
    }

    @Test
    void generateFromTextStreamsTheSameText() {
        CliRun.Result json = run("generate", "--model", MODEL, "--prompt", "The cat sat on the mat", "--max-new-tokens", "8", "--json");
        assertEquals(0, json.status(), json.err());
        JsonObject o = JsonParser.parseString(json.out()).getAsJsonObject();
        assertEquals("[1,298,296,297,36,266,264,284,269]", o.getAsJsonArray("prompt_token_ids").toString());
        CliRun.Result streamed = run("generate", "--model", MODEL, "--prompt", "The cat sat on the mat", "--max-new-tokens", "8");
        assertEquals(0, streamed.status(), streamed.err());
        assertEquals(o.get("text").getAsString() + System.lineSeparator(), streamed.out());
        assertTrue(streamed.err().contains("8 tokens"), streamed.err());
    }

    @Test
    void evalPrintsEveryExitLayer() {
        Path text = TestCheckpoints.LLAMA3.resolve("tokenizer_golden.json");
        CliRun.Result r = run("eval", "--model", MODEL, "--text-file", text.toString(), "--max-tokens", "64", "--json");
        assertEquals(0, r.status(), r.err());
        JsonArray layers = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonArray("layers");
        assertEquals(4, layers.size());
        for (int i = 0; i < 4; i++) {
            JsonObject l = layers.get(i).getAsJsonObject();
            assertEquals(i + 1, l.get("exit_layer").getAsInt());
            assertEquals(Math.exp(l.get("nll").getAsDouble()), l.get("perplexity").getAsDouble(), 1e-6 * l.get("perplexity").getAsDouble());
        }
    }

    @Test
    void infoDescribesTheCheckpoint() {
        CliRun.Result r = run("info", "--model", MODEL);
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("layers:           4"), r.out());
        assertTrue(r.out().contains("4 query, 2 key/value, head_dim 16"), r.out());
        assertTrue(r.out().contains("stored dtype:     BF16"), r.out());
        assertTrue(r.out().contains("rope:             theta 500000, scaling llama3"), r.out());
    }


    @Test
    void badInputFailsWithOneLineAndNoStackTrace(@TempDir Path tmp) throws IOException {
        assertFails("model directory not found", "generate", "--model", tmp.resolve("nope").toString(), "--prompt-ids", "1");
        assertFails("config.json: file not found", "generate", "--model", tmp.toString(), "--prompt-ids", "1");
        assertFails("max_new_tokens must be >= 1, got 0", "generate", "--model", MODEL, "--prompt-ids", "1", "--max-new-tokens", "0");
        assertFails("exit layer 9 is outside 1..4", "generate", "--model", MODEL, "--prompt-ids", "1", "--strategy", "early-exit", "--exit-layer", "9");
        assertFails("exit layer 0 is outside 1..4", "generate", "--model", MODEL, "--prompt-ids", "1", "--strategy", "early-exit", "--exit-layer", "0");
        assertFails("--temperature must be >= 0 (0 = greedy), got -1.0", "generate", "--model", MODEL, "--prompt-ids", "1", "--temperature", "-1");
        assertFails("--top-p must be in (0, 1], got 1.5", "generate", "--model", MODEL, "--prompt-ids", "1", "--top-p", "1.5");
        assertFails("the prompt is empty", "generate", "--model", MODEL, "--prompt", "");
        assertFails("--repetition-penalty must be > 0 (1 = off), got 0.0", "generate", "--model", MODEL,
                "--prompt-ids", "1", "--repetition-penalty", "0");
        assertFails("--no-repeat-ngram-size must be >= 0 (0 = off), got -2", "generate", "--model", MODEL,
                "--prompt-ids", "1", "--no-repeat-ngram-size", "-2");
        assertFails("repetition_penalty must be a finite number > 0 (1 = off), got -1.0", "correctness", "--model", MODEL,
                "--repetition-penalty", "-1");
        assertFails("unknown strategy 'fast'", "generate", "--model", MODEL, "--prompt-ids", "1", "--strategy", "fast");
        StringBuilder longPrompt = new StringBuilder("1");
        for (int i = 0; i < 200; i++) {
            longPrompt.append(",40");
        }
        assertFails("the prompt has 201 tokens but the context holds 128", "generate", "--model", MODEL, "--prompt-ids", longPrompt.toString());
        assertFails("text file not found", "eval", "--model", MODEL, "--text-file", tmp.resolve("missing.txt").toString());
        Files.writeString(tmp.resolve("config.json"), "{");
        assertFails("malformed JSON", "info", "--model", tmp.toString());
    }
}
