package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Several choices of one prompt ({@link BatchScheduler#generateAll}): rows of one batch of which one reads
 * the prompt and the others copy its cache entries; each choice is token for token what it would be alone
 * (its own seed), with its own listener, for every strategy.
 */
class ChoicesTest {

    private static LoadedModel demo;

    @BeforeAll
    static void load() throws IOException {
        demo = LoadedModel.load(Path.of("models/layerskip-demo"), LoadOptions.CPU_FLOAT32);
    }

    @AfterAll
    static void close() {
        demo.close();
    }

    private static GenerationConfig sampled(long seed) {
        return new GenerationConfig(20, new SamplingConfig(0.9, 0, 1.0, seed), List.of(), List.of(), RepetitionControl.NONE,
                LogprobOptions.tokens(1));
    }

    @Test
    void choicesShareTheirPromptAndEachIsWhatItWouldBeAlone() {
        int[] prompt = demo.tokenizer().encode("def read_lines(path):");
        int layers = demo.model().numLayers();
        List<Generator> generators = List.of(new AutoregressiveGenerator(demo.model(), demo.tokenizer(), layers),
                new AutoregressiveGenerator(demo.model(), demo.tokenizer(), 4),
                new SelfSpeculativeGenerator(demo.model(), demo.tokenizer(), 4, new DraftLength.Fixed(3)));
        for (Generator g : generators) {
            try (BatchScheduler scheduler = new BatchScheduler(demo.model(), demo.tokenizer(), new BatchLimits(8, 64L << 20, 16))) {
                List<GenerationConfig> configs = List.of(sampled(11), sampled(12), sampled(13),
                        GenerationConfig.greedy(20, List.of()));
                List<List<Integer>> streamed = new ArrayList<>();
                List<TokenListener> listeners = new ArrayList<>();
                for (int i = 0; i < configs.size(); i++) {
                    List<Integer> ids = Collections.synchronizedList(new ArrayList<>());
                    streamed.add(ids);
                    listeners.add((id, text) -> ids.add(id));
                }
                List<GenerationResult> results = scheduler.generateAll(g, prompt, configs, listeners);
                assertEquals(3, scheduler.forkedRows(), g.plan() + ": the other choices copied the first one's prompt");
                for (int i = 0; i < configs.size(); i++) {
                    GenerationResult alone = g.generate(prompt, configs.get(i), TokenListener.NONE);
                    assertArrayEquals(alone.tokenIds(), results.get(i).tokenIds(), g.plan() + " choice " + i);
                    assertEquals(alone.logprobs().size(), results.get(i).logprobs().size());
                    for (int t = 0; t < alone.logprobs().size(); t++) {
                        assertEquals(alone.logprobs().get(t).logprob(), results.get(i).logprobs().get(t).logprob(), 1e-4);
                    }
                    assertEquals(streamed.get(i), java.util.Arrays.stream(results.get(i).tokenIds()).boxed().toList(),
                            "each choice's own listener");
                }
                assertNotEquals(List.of(results.get(0).text()), List.of(results.get(1).text()), "different seeds");
            }
        }
    }

    @Test
    void aRequestWhoseChoicesDoNotFitTheQueueIsRefusedWhole() {
        int[] prompt = demo.tokenizer().encode("x = ");
        try (BatchScheduler scheduler = new BatchScheduler(demo.model(), demo.tokenizer(), new BatchLimits(2, 64L << 20, 2))) {
            GenerationConfig c = GenerationConfig.greedy(2, List.of());
            Generator g = new AutoregressiveGenerator(demo.model(), demo.tokenizer(), demo.model().numLayers());
            GenerationRejectedException e = assertThrows(GenerationRejectedException.class, () -> scheduler.generateAll(g,
                    prompt, List.of(c, c, c), List.of(TokenListener.NONE, TokenListener.NONE, TokenListener.NONE)));
            assertEquals("the batch queue is full: 0 requests wait (max_queued 2) and this request brings 3", e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> scheduler.generateAll(g, prompt, List.of(c), List.of()));
        }
    }
}
