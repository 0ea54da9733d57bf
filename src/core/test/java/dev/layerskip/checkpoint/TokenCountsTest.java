package dev.layerskip.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

/** token_counts.json: ranking, round trip, and every malformed file refused with the file and value named. */
class TokenCountsTest {

    @TempDir Path dir;

    @Test
    void topIdsRankByCountThenIdAndComeBackAscending() {
        TokenCounts c = new TokenCounts(new long[] {5, 7, 7, 0, 9});
        assertArrayEquals(new int[] {4}, c.topIds(1));
        assertArrayEquals(new int[] {1, 4}, c.topIds(2)); // 9, then the tie 7/7 goes to id 1
        assertArrayEquals(new int[] {1, 2, 4}, c.topIds(3));
        assertArrayEquals(new int[] {0, 1, 2, 4}, c.topIds(4));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, c.topIds(5));
        assertEquals(28, c.total());
        assertEquals(16.0 / 28, c.coverage(2), 1e-12);
        assertArrayEquals(new int[] {0, 1, 2}, TokenCounts.byId(10).topIds(3));
        assertEquals("draft vocabulary size must be in 1..5 (the vocabulary), got 0",
                assertThrows(IllegalArgumentException.class, () -> c.topIds(0)).getMessage());
        assertEquals("draft vocabulary size must be in 1..5 (the vocabulary), got 6",
                assertThrows(IllegalArgumentException.class, () -> c.topIds(6)).getMessage());
        assertEquals("token 1 has a negative count -2",
                assertThrows(IllegalArgumentException.class, () -> new TokenCounts(new long[] {1, -2})).getMessage());
    }

    @Test
    void generatedCountsSurviveAWriteAndReadAndKeepTheirRanking() throws IOException {
        SplittableRandom random = new SplittableRandom(7);
        for (int trial = 0; trial < 20; trial++) {
            int v = 1 + random.nextInt(500);
            long[] counts = new long[v];
            for (int i = 0; i < v; i++) {
                counts[i] = random.nextInt(4) == 0 ? 0 : random.nextLong(1L << 40); // some never seen, some huge
            }
            TokenCounts c = new TokenCounts(counts);
            Path file = c.write(dir, List.of("a.py", "b \"quoted\".txt"));
            assertEquals(dir.resolve(TokenCounts.FILE), file);
            TokenCounts back = TokenCounts.read(dir, v);
            assertArrayEquals(counts, back.counts(), "trial " + trial);
            int n = 1 + random.nextInt(v);
            int[] top = back.topIds(n);
            // every id in the top N counts at least as much as every id outside it
            long minInside = Long.MAX_VALUE;
            long maxOutside = -1;
            for (int id = 0; id < v; id++) {
                if (java.util.Arrays.binarySearch(top, id) >= 0) {
                    minInside = Math.min(minInside, counts[id]);
                } else {
                    maxOutside = Math.max(maxOutside, counts[id]);
                }
            }
            assertTrue(minInside >= maxOutside, "trial " + trial);
        }
    }

    @Test
    void aMissingFileNamesTheFileAndTheCommandThatWritesIt() {
        CheckpointException e = assertThrows(CheckpointException.class, () -> TokenCounts.read(dir, 10));
        assertTrue(e.getMessage().contains(dir.resolve("token_counts.json").toString()), e.getMessage());
        assertTrue(e.getMessage().contains("file not found") && e.getMessage().contains("count-tokens --model"), e.getMessage());
    }

    @Test
    void corruptFilesAreRefusedNamingTheValue() throws IOException {
        String head = "{\"format\": \"layerskip-token-counts\", \"vocab_size\": 4, \"counts\": ";
        String[][] cases = {
            {"{\"format\": \"layerskip-token-counts\", \"vocab_size\": 4, \"counts\": [[0, 1]", "malformed JSON"},
            {head + "[[0, 1],]}", "malformed JSON"},
            {head + "[[0, NaN]]}", "malformed JSON"},
            {head + "[[0, 1]]} x", "text after the JSON value"},
            {"[1, 2]", "expected a JSON object at the top level, got an array"},
            {head + "{\"0\": 1}}", "field 'counts' must be an array of [id, count] pairs, got an object"},
            {"{\"format\": \"layerskip-token-counts\", \"vocab_size\": 4}", "field 'counts' must be an array of [id, count] pairs, got nothing"},
            {head + "[[0, 1, 2]]}", "'counts[0]' must be an [id, count] pair, got an array of 3 values"},
            {head + "[5]}", "'counts[0]' must be an [id, count] pair, got a number"},
            {head + "[[\"a\", 1]]}", "'counts[0][0] (the id)' must be an integer, got a string"},
            {head + "[[0, 1.5]]}", "'counts[0][1] (the count)' must be an integer, got a number"},
            {head + "[[0, 1e3]]}", "'counts[0][1] (the count)' must be an integer"},
            {head + "[[1, 2], [4, 1]]}", "'counts[1][0] (the id)' is 4, outside 0..3"},
            {head + "[[-1, 1]]}", "'counts[0][0] (the id)' is -1, outside 0..3"},
            {head + "[[2, 5], [1, 3], [2, 1]]}", "'counts[2]': token id 2 appears twice"},
            {head + "[[2, -5]]}", "'counts[0][1] (the count)' is -5, outside 0.."},
            {head + "[[2, 99999999999999999999]]}", "'counts[0][1] (the count)' is 99999999999999999999, outside 0.."},
            {"{\"format\": \"layerskip-token-counts\", \"vocab_size\": 5, \"counts\": []}", "'vocab_size' is 5 but the model's vocabulary has 4 tokens"},
            {"{\"format\": \"other\", \"vocab_size\": 4, \"counts\": []}", "field 'format' must be \"layerskip-token-counts\", got \"other\""},
            {"{\"vocab_size\": 4, \"counts\": []}", "field 'format' must be \"layerskip-token-counts\", got nothing"},
            {head + "[], \"extra\": 1}", "unknown key 'extra'"},
            {head + "[], \"counts\": []}", "duplicate"},
        };
        for (String[] c : cases) {
            Files.writeString(dir.resolve(TokenCounts.FILE), c[0]);
            CheckpointException e = assertThrows(CheckpointException.class, () -> TokenCounts.read(dir, 4), c[0]);
            assertTrue(e.getMessage().contains(TokenCounts.FILE), e.getMessage());
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
        Files.writeString(dir.resolve(TokenCounts.FILE), head + "[[3, 10], [0, 2]], \"tokens\": 12, \"corpus\": [\"x\"]}");
        assertArrayEquals(new long[] {2, 0, 0, 10}, TokenCounts.read(dir, 4).counts());
    }

    @Test
    void speculationDefaultsCarryTheDraftVocabularySize() throws IOException {
        new SpeculationDefaults(2, 3, 512).write(dir);
        assertEquals(new SpeculationDefaults(2, 3, 512), SpeculationDefaults.read(dir, 4).orElseThrow());
        new SpeculationDefaults(2, 3).write(dir);
        assertEquals(null, SpeculationDefaults.read(dir, 4).orElseThrow().draftVocabSize());
        Files.writeString(dir.resolve(SpeculationDefaults.FILE), "{\"exit_layer\": 2, \"num_speculations\": 3, \"draft_vocab_size\": 0}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> SpeculationDefaults.read(dir, 4));
        assertTrue(e.getMessage().contains("draft_vocab_size") && e.getMessage().contains("layerskip.json"), e.getMessage());
        Files.writeString(dir.resolve(SpeculationDefaults.FILE), "{\"exit_layer\": 2, \"num_speculations\": 3, \"draft_vocab_size\": \"all\"}");
        e = assertThrows(CheckpointException.class, () -> SpeculationDefaults.read(dir, 4));
        assertTrue(e.getMessage().contains("draft_vocab_size"), e.getMessage());
        assertEquals("draft_vocab_size must be >= 1, got -1",
                assertThrows(IllegalArgumentException.class, () -> new SpeculationDefaults(1, 1, -1)).getMessage());
    }
}
