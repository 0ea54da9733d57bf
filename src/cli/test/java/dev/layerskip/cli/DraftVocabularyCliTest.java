package dev.layerskip.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.layerskip.CliRun;
import dev.layerskip.TestCheckpoints;
import dev.layerskip.checkpoint.TokenCounts;
import dev.layerskip.tokenizer.HfTextTokenizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** count-tokens, --draft-vocab in generate, bench and sweep, and every bad value named. */
class DraftVocabularyCliTest {

    private static final String PROMPT = "1,298,296,297,36";

    private static Path copyFixture(Path tmp) throws IOException {
        Path model = tmp.resolve("model");
        Files.createDirectories(model);
        try (Stream<Path> files = Files.list(TestCheckpoints.LLAMA3)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, model.resolve(f.getFileName()));
            }
        }
        return model;
    }

    @Test
    void countTokensWritesTheCountsThatGenerateBenchAndSweepUse(@TempDir Path tmp) throws IOException {
        Path model = copyFixture(tmp);
        Path corpus = tmp.resolve("corpus");
        Files.createDirectories(corpus.resolve("sub"));
        String a = "The cat sat on the mat. The cat ran.";
        String b = "A dog and a cat.";
        Files.writeString(corpus.resolve("a.txt"), a);
        Files.writeString(corpus.resolve("sub/b.txt"), b);
        Files.writeString(corpus.resolve("skip.md"), "not counted");
        Files.write(corpus.resolve("bin.txt"), new byte[] {(byte) 0xff, (byte) 0xfe, 0});
        CliRun.Result r = CliRun.run("count-tokens", "--model", model.toString(), "--corpus", corpus.toString(), "--extension", ".txt");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("in 2 files (1 skipped: not UTF-8)"), r.out());
        long[] expected = new long[300];
        try (HfTextTokenizer tokenizer = HfTextTokenizer.load(model)) {
            for (String text : new String[] {a, b}) {
                for (int id : tokenizer.encode(text)) {
                    expected[id]++;
                }
            }
        }
        TokenCounts counts = TokenCounts.read(model, 300);
        assertEquals(java.util.Arrays.toString(expected), java.util.Arrays.toString(counts.counts()));
        assertTrue(counts.total() > 10);

        CliRun.Result ar = CliRun.run("generate", "--model", model.toString(), "--prompt-ids", PROMPT, "--max-new-tokens", "16", "--json");
        for (String n : new String[] {"1", "5", "40", "300"}) {
            CliRun.Result ss = CliRun.run("generate", "--model", model.toString(), "--prompt-ids", PROMPT, "--max-new-tokens", "16",
                    "--strategy", "self-speculative", "--exit-layer", "2", "--num-speculations", "3", "--draft-vocab", n, "--json");
            assertEquals(0, ss.status(), ss.err());
            assertEquals(JsonParser.parseString(ar.out()).getAsJsonObject().get("token_ids"),
                    JsonParser.parseString(ss.out()).getAsJsonObject().get("token_ids"), "N=" + n);
        }

        CliRun.Result bench = CliRun.run("bench", "--model", model.toString(), "--max-new-tokens", "6", "--repeats", "1",
                "--exit-layers", "2", "--self-speculative", "2:3", "--draft-vocab", "5,40", "--json");
        assertEquals(0, bench.status(), bench.err());
        JsonObject root = JsonParser.parseString(bench.out()).getAsJsonObject();
        JsonArray rows = root.getAsJsonArray("results");
        assertEquals(5, rows.size()); // autoregressive, E=2, E=2 d=3 full, N=5, N=40
        assertEquals("self-speculative E=2 d=3 N=5", rows.get(3).getAsJsonObject().get("strategy").getAsString());
        for (int i = 2; i < 5; i++) {
            assertTrue(rows.get(i).getAsJsonObject().get("greedy_output_matches").getAsBoolean());
        }
        JsonArray costs = root.getAsJsonArray("round_costs");
        assertEquals(300, costs.get(0).getAsJsonObject().get("draft_head_tokens").getAsInt());
        assertEquals(5, costs.get(1).getAsJsonObject().get("draft_head_tokens").getAsInt());
        assertEquals(40, costs.get(2).getAsJsonObject().get("draft_head_tokens").getAsInt());

        CliRun.Result sweep = CliRun.run("sweep", "--model", model.toString(), "--exit-layers", "1,2", "--num-speculations", "2",
                "--draft-vocab", "full,5", "--max-new-tokens", "6", "--repeats", "1", "--out", tmp.resolve("grid").toString(),
                "--save-defaults", "--json");
        assertEquals(0, sweep.status(), sweep.err());
        JsonObject s = JsonParser.parseString(sweep.out()).getAsJsonObject();
        assertEquals(4, s.getAsJsonArray("cells").size()); // E=1 full, E=1 N=5, E=2 full, E=2 N=5
        assertEquals("5", s.getAsJsonArray("cells").get(1).getAsJsonObject().get("draft_vocab").getAsString());
        assertEquals(5, Files.readAllLines(tmp.resolve("grid.csv")).size());
        JsonObject best = s.getAsJsonObject("best");
        JsonObject saved = JsonParser.parseString(Files.readString(model.resolve("layerskip.json"))).getAsJsonObject();
        if (best.get("draft_vocab").getAsString().equals("full")) {
            assertTrue(!saved.has("draft_vocab_size"), saved.toString());
        } else {
            assertEquals(best.get("draft_vocab").getAsInt(), saved.get("draft_vocab_size").getAsInt());
        }
        // A saved draft vocabulary is the default of generate; output unchanged.
        Files.writeString(model.resolve("layerskip.json"), "{\"exit_layer\": 2, \"num_speculations\": 3, \"draft_vocab_size\": 5}");
        CliRun.Result byDefault = CliRun.run("generate", "--model", model.toString(), "--prompt-ids", PROMPT, "--max-new-tokens", "16",
                "--strategy", "self-speculative", "--json");
        assertEquals(0, byDefault.status(), byDefault.err());
        assertEquals(JsonParser.parseString(ar.out()).getAsJsonObject().get("token_ids"),
                JsonParser.parseString(byDefault.out()).getAsJsonObject().get("token_ids"));
        Files.delete(model.resolve(TokenCounts.FILE));
        CliRun.assertFails("draft_vocab 5: " + model.resolve(TokenCounts.FILE).toAbsolutePath(), "generate", "--model", model.toString(),
                "--prompt-ids", PROMPT, "--strategy", "self-speculative");
    }

    @Test
    void badDraftVocabulariesAreNamed(@TempDir Path tmp) throws IOException {
        String fixture = TestCheckpoints.LLAMA3.toString();
        String[] spec = {"generate", "--model", fixture, "--prompt-ids", "1,2", "--strategy", "self-speculative", "--draft-vocab"};
        CliRun.assertFails("--draft-vocab must be >= 1 (a number of tokens), got 0", concat(spec, "0"));
        CliRun.assertFails("--draft-vocab must be >= 1 (a number of tokens), got -3", concat(spec, "-3"));
        CliRun.assertFails("draft_vocab 301 exceeds the vocabulary (300 tokens)", concat(spec, "301"));
        CliRun.assertFails("token_counts.json: file not found", concat(spec, "10"));
        CliRun.assertFails("draft_vocab needs the self-speculative strategy",
                "generate", "--model", fixture, "--prompt-ids", "1,2", "--draft-vocab", "10");
        Path model = copyFixture(tmp);
        Files.writeString(model.resolve(TokenCounts.FILE), "{\"format\": \"layerskip-token-counts\", \"vocab_size\": 300, \"counts\": [[7, 1], [7, 2]]}");
        CliRun.assertFails("'counts[1]': token id 7 appears twice", "generate", "--model", model.toString(), "--prompt-ids", "1,2",
                "--strategy", "self-speculative", "--draft-vocab", "10");
        Files.writeString(model.resolve(TokenCounts.FILE), "{\"format\": \"layerskip-token-counts\", \"vocab_size\": 300, \"counts\": [[7, 1]");
        CliRun.assertFails("malformed JSON", "bench", "--model", model.toString(), "--max-new-tokens", "4", "--repeats", "1",
                "--draft-vocab", "10");
        CliRun.assertFails("--draft-vocab must be in 1..300 (the vocabulary), got 0", "bench", "--model", fixture,
                "--max-new-tokens", "4", "--repeats", "1", "--draft-vocab", "0");
        CliRun.assertFails("--draft-vocab expects full or a number of tokens, got 'most'", "sweep", "--model", fixture,
                "--max-new-tokens", "4", "--repeats", "1", "--draft-vocab", "most");
        CliRun.assertFails("--draft-vocab must be >= 1 (a number of tokens) or full, got 0", "sweep", "--model", fixture,
                "--max-new-tokens", "4", "--repeats", "1", "--draft-vocab", "full,0");
        CliRun.assertFails("no corpus files", "count-tokens", "--model", model.toString());
        CliRun.assertFails("--corpus: no file or directory", "count-tokens", "--model", model.toString(), "--corpus",
                tmp.resolve("nothing").toString());
    }

    @Test
    void forcedAgreementKeepsRestrictedDraftsAcceptedOnARandomShape() {
        CliRun.Result b = CliRun.run("bench", "--random-shape", "demo", "--agree-from", "4", "--max-new-tokens", "8", "--repeats", "1",
                "--exit-layers", "4", "--self-speculative", "4:3", "--draft-vocab", "64,1024", "--json");
        assertEquals(0, b.status(), b.err());
        JsonArray rows = JsonParser.parseString(b.out()).getAsJsonObject().getAsJsonArray("results");
        assertEquals(5, rows.size());
        for (int i = 2; i < 5; i++) {
            JsonObject row = rows.get(i).getAsJsonObject();
            assertEquals(1.0, row.get("acceptance_rate").getAsDouble(), 0.0, row.get("strategy").getAsString());
            assertTrue(row.get("greedy_output_matches").getAsBoolean());
        }
    }

    private static String[] concat(String[] head, String... tail) {
        return Stream.concat(Stream.of(head), Stream.of(tail)).toArray(String[]::new);
    }
}
