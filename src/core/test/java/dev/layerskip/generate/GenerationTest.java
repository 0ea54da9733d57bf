package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Stopping, streaming, seeding and input validation of the autoregressive generator. */
class GenerationTest {

    private static final int[] PROMPT = {1, 298, 296, 297, 36};
    private static LoadedModel loaded;

    @BeforeAll
    static void load() throws IOException {
        loaded = LoadedModel.load(TestCheckpoints.LLAMA3, TestCheckpoints.float32());
    }

    @AfterAll
    static void close() {
        loaded.close();
    }

    private static AutoregressiveGenerator generator(int exit) {
        return new AutoregressiveGenerator(loaded.model(), loaded.tokenizer(), exit);
    }

    @Test
    void stopsAfterAnEosIdAndKeepsIt() {
        // greedy at exit 2 reaches EOS id 3 as its 10th token (golden.json)
        GenerationResult r = generator(2).generate(PROMPT, GenerationConfig.greedy(20, List.of(2, 3)), TokenListener.NONE);
        assertEquals(FinishReason.EOS, r.finishReason());
        assertArrayEquals(new int[] {16, 16, 217, 217, 220, 121, 121, 249, 156, 3}, r.tokenIds());
        // without that EOS id it runs to max_new_tokens
        GenerationResult longer = generator(2).generate(PROMPT, GenerationConfig.greedy(12, List.of(2)), TokenListener.NONE);
        assertEquals(FinishReason.LENGTH, longer.finishReason());
        assertEquals(12, longer.tokenIds().length);
    }

    @Test
    void neverExceedsMaxNewTokens() {
        for (int n : new int[] {1, 2, 7}) {
            GenerationResult r = generator(4).generate(PROMPT, GenerationConfig.greedy(n, List.of()), TokenListener.NONE);
            assertEquals(n, r.tokenIds().length);
            assertEquals(FinishReason.LENGTH, r.finishReason());
        }
    }

    @Test
    void streamsEveryTokenAndTheTextAddsUp() {
        List<Integer> ids = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        GenerationResult r = generator(4).generate(PROMPT, GenerationConfig.greedy(15, List.of()), (id, delta) -> {
            ids.add(id);
            text.append(delta);
        });
        assertArrayEquals(r.tokenIds(), ids.stream().mapToInt(Integer::intValue).toArray());
        assertEquals(loaded.tokenizer().decode(r.tokenIds()), r.text());
        assertEquals(r.text(), text.toString());
        assertEquals(PROMPT.length, r.stats().promptTokens());
        assertEquals(15, r.stats().newTokens());
    }

    @Test
    void stopsOnAStopString() {
        GenerationResult full = generator(4).generate(PROMPT, GenerationConfig.greedy(20, List.of()), TokenListener.NONE);
        String stop = full.text().substring(2, 4);
        GenerationConfig config = new GenerationConfig(20, SamplingConfig.GREEDY, List.of(), List.of(stop));
        GenerationResult r = generator(4).generate(PROMPT, config, TokenListener.NONE);
        assertEquals(FinishReason.STOP_STRING, r.finishReason());
        assertTrue(r.text().contains(stop));
        assertTrue(r.tokenIds().length < 20);
        assertArrayEquals(Arrays.copyOf(full.tokenIds(), r.tokenIds().length), r.tokenIds());
        assertTrue(!loaded.tokenizer().decode(Arrays.copyOf(r.tokenIds(), r.tokenIds().length - 1)).contains(stop),
                "stopped at the first token completing the stop string");
    }

    @Test
    void theSameSeedGivesTheSameTextAndAnotherSeedAnother() {
        GenerationConfig a = new GenerationConfig(30, new SamplingConfig(1.0, 50, 0.95, 11), List.of(), List.of());
        GenerationConfig b = new GenerationConfig(30, new SamplingConfig(1.0, 50, 0.95, 12), List.of(), List.of());
        int[] first = generator(4).generate(PROMPT, a, TokenListener.NONE).tokenIds();
        assertArrayEquals(first, generator(4).generate(PROMPT, a, TokenListener.NONE).tokenIds());
        assertNotEquals(Arrays.toString(first), Arrays.toString(generator(4).generate(PROMPT, b, TokenListener.NONE).tokenIds()));
    }

    @Test
    void stopsWhenTheContextIsFull() {
        int context = loaded.model().config().maxPositions();
        int[] prompt = new int[context - 3];
        Arrays.fill(prompt, 40);
        GenerationResult r = generator(4).generate(prompt, GenerationConfig.greedy(50, List.of()), TokenListener.NONE);
        assertEquals(4, r.tokenIds().length); // positions context-3 .. context-1 fed, plus the last token
        assertEquals(FinishReason.LENGTH, r.finishReason());
    }

    @Test
    void badInputIsRejectedWithTheValue() {
        GenerationConfig ok = GenerationConfig.greedy(5, List.of());
        assertMessage(() -> generator(4).generate(new int[0], ok, TokenListener.NONE), "the prompt is empty");
        int[] tooLong = new int[loaded.model().config().maxPositions()];
        Arrays.fill(tooLong, 40);
        assertMessage(() -> generator(4).generate(tooLong, ok, TokenListener.NONE), "the prompt has 128 tokens but the context holds 128");
        assertMessage(() -> generator(4).generate(new int[] {1, 300}, ok, TokenListener.NONE), "prompt token id 300 is outside the vocabulary");
        assertMessage(() -> GenerationConfig.greedy(0, List.of()), "max_new_tokens must be >= 1, got 0");
        assertMessage(() -> generator(0), "exit layer 0 outside 1..4");
        assertMessage(() -> generator(5), "exit layer 5 outside 1..4");
        assertMessage(() -> new SamplingConfig(-1, 0, 1, 0), "temperature must be >= 0, got -1.0");
        assertMessage(() -> new SamplingConfig(1, 0, 0, 0), "top_p must be in (0, 1], got 0.0");
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "'" + e.getMessage() + "' lacks '" + fragment + "'");
    }
}
