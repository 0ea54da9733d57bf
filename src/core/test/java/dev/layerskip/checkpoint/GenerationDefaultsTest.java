package dev.layerskip.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.generate.RepetitionControl;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** generation_config.json's repetition defaults: read, absent = off, bad values named; the demos' values. */
class GenerationDefaultsTest {

    @TempDir Path dir;

    private GenerationDefaults read(String json) throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), json);
        return GenerationDefaults.read(dir, TestCheckpoints.tinyConfig());
    }

    @Test
    void repetitionDefaultsAreReadAndOffWhenAbsent() throws IOException {
        GenerationDefaults d = read("{\"eos_token_id\": [2], \"repetition_penalty\": 1.15, \"no_repeat_ngram_size\": 3}");
        assertEquals(RepetitionControl.of(1.15, 3), RepetitionControl.of(d));
        assertEquals(List.of(2), d.eosTokenIds());
        assertEquals(RepetitionControl.NONE, RepetitionControl.of(read("{\"eos_token_id\": 2}")));
        Files.delete(dir.resolve("generation_config.json"));
        assertEquals(RepetitionControl.NONE, RepetitionControl.of(GenerationDefaults.read(dir, TestCheckpoints.tinyConfig())));
    }

    @Test
    void badRepetitionDefaultsAreNamed() {
        assertRejected("{\"repetition_penalty\": 0}", "'repetition_penalty' must be > 0 (1 = off), got 0");
        assertRejected("{\"repetition_penalty\": -1.5}", "'repetition_penalty' must be a finite number in [0.0, ");
        assertRejected("{\"repetition_penalty\": \"high\"}", "'repetition_penalty' must be a number, got");
        assertRejected("{\"no_repeat_ngram_size\": -1}", "'no_repeat_ngram_size' must be in 0..2147483647, got -1");
        assertRejected("{\"no_repeat_ngram_size\": 2.5}", "'no_repeat_ngram_size' must be an integer, got");
    }

    @Test
    void theDemosShipTheMeasuredDefaults() throws IOException {
        for (String demo : List.of("layerskip-demo", "baseline-demo")) {
            Path d = Path.of("models", demo);
            GenerationDefaults defaults = GenerationDefaults.read(d, LlamaConfigJson.read(d.resolve("config.json")));
            assertEquals(RepetitionControl.of(1.0, 4), RepetitionControl.of(defaults), demo);
        }
    }

    private void assertRejected(String json, String fragment) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> read(json));
        assertTrue(e.getMessage().contains("generation_config.json") && e.getMessage().contains(fragment),
                "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }
}
