package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.djl.GenerationArguments;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The two-thread self-speculative pipeline gives the autoregressive tokens exactly, stops and cancels
 * like the rounds, reports on the calling thread, frees what it allocates, and refuses settings it
 * cannot honour.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class SpeculativePipelineTest {

    private static final int[][] PROMPTS = TestCheckpoints.SPECULATIVE_PROMPTS;
    private static LoadedModel llama3;
    private static LoadedModel llama2;

    @BeforeAll
    static void load() throws IOException {
        llama3 = LoadedModel.load(TestCheckpoints.LLAMA3, LoadOptions.CPU_FLOAT32);
        llama2 = LoadedModel.load(TestCheckpoints.LLAMA2, LoadOptions.CPU_FLOAT32);
    }

    @AfterAll
    static void close() {
        llama3.close();
        llama2.close();
    }

    private static int[] autoregressive(LoadedModel m, int[] prompt, GenerationConfig config) {
        return new AutoregressiveGenerator(m.model(), m.tokenizer(), m.model().numLayers())
                .generate(prompt, config, TokenListener.NONE).tokenIds();
    }

    private static SelfSpeculativeGenerator pipelined(LoadedModel m, int exit, int depth) {
        return new SelfSpeculativeGenerator(m.model(), m.tokenizer(), exit, new DraftLength.Fixed(depth)).withPipeline(true);
    }

    @Test
    void greedyOutputIsIdenticalForEveryExitAndDepth() {
        for (LoadedModel m : List.of(llama3, llama2)) {
            for (int[] prompt : PROMPTS) {
                GenerationConfig config = GenerationConfig.greedy(24, List.of());
                int[] reference = autoregressive(m, prompt, config);
                for (int e = 1; e < m.model().numLayers(); e++) {
                    for (int depth : new int[] {1, 2, 3, 40}) {
                        GenerationResult r = pipelined(m, e, depth).generate(prompt, config, TokenListener.NONE);
                        assertArrayEquals(reference, r.tokenIds(), "E=" + e + " depth " + depth);
                        assertEquals(FinishReason.LENGTH, r.finishReason());
                        assertEquals(23, r.stats().drafted(), "one draft checked per emitted token after the first");
                        assertTrue(r.stats().accepted() < r.stats().drafted(), "random weights: some drafts are rejected");
                    }
                }
            }
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("layerskip-drafter-")),
                "the drafts came from a drafting thread");
    }

    @Test
    void demoModelWithLongAcceptedRunsMatchesAutoregressive() throws IOException {
        try (LoadedModel m = LoadedModel.load(Path.of("models/layerskip-demo"), LoadOptions.CPU_FLOAT32)) {
            GenerationConfig config = GenerationConfig.greedy(64, m.defaults().eosTokenIds());
            for (String text : List.of("import os\n\n\ndef main(", "def read_lines(path):", "class Stack:\n    def ")) {
                int[] prompt = m.tokenizer().encode(text);
                int[] reference = autoregressive(m, prompt, config);
                for (int e : new int[] {4, 5}) {
                    for (int depth : new int[] {2, 4}) {
                        GenerationResult r = pipelined(m, e, depth).generate(prompt, config, TokenListener.NONE);
                        assertArrayEquals(reference, r.tokenIds(), text + " E=" + e + " depth " + depth);
                        assertTrue(r.stats().acceptanceRate() > 0.6, "acceptance " + r.stats().acceptanceRate());
                        GenerationConfig noRepeat = config.withRepetition(RepetitionControl.of(1, 4)); // the demo's default
                        assertArrayEquals(autoregressive(m, prompt, noRepeat),
                                pipelined(m, e, depth).generate(prompt, noRepeat, TokenListener.NONE).tokenIds(),
                                text + " no repeated 4-gram, E=" + e + " depth " + depth);
                    }
                }
            }
        }
    }

    @Test
    void stopsWhereAutoregressiveDecodingStops() {
        int[] prompt = PROMPTS[0];
        int[] free = autoregressive(llama3, prompt, GenerationConfig.greedy(16, List.of()));
        for (int max : new int[] {1, 2, 3}) {
            GenerationConfig config = GenerationConfig.greedy(max, List.of());
            assertArrayEquals(autoregressive(llama3, prompt, config),
                    pipelined(llama3, 2, 3).generate(prompt, config, TokenListener.NONE).tokenIds(), "max " + max);
        }
        for (int at : new int[] {0, 1, 4, 9}) {
            GenerationConfig config = GenerationConfig.greedy(16, List.of(free[at])); // the token emitted at 'at' is EOS
            int[] reference = autoregressive(llama3, prompt, config);
            GenerationResult r = pipelined(llama3, 2, 3).generate(prompt, config, TokenListener.NONE);
            assertArrayEquals(reference, r.tokenIds(), "EOS = token " + at);
            assertEquals(FinishReason.EOS, r.finishReason());
        }
        String text = llama3.tokenizer().decode(free);
        String stop = text.substring(text.length() / 2, text.length() / 2 + 2);
        GenerationConfig withStop = new GenerationConfig(16, SamplingConfig.GREEDY, List.of(), List.of(stop));
        GenerationResult expected = new AutoregressiveGenerator(llama3.model(), llama3.tokenizer(), 4)
                .generate(prompt, withStop, TokenListener.NONE);
        GenerationResult r = pipelined(llama3, 2, 3).generate(prompt, withStop, TokenListener.NONE);
        assertEquals(expected.text(), r.text(), "stop sequence '" + stop + "'");
        assertEquals(FinishReason.STOP_STRING, r.finishReason());
    }

    @Test
    void listenerRunsOnTheCallingThreadAndCancellationEndsTheGeneration() {
        Thread caller = Thread.currentThread();
        List<String> threads = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        TokenListener cancelAtThree = new TokenListener() {
            @Override
            public void onToken(int id, String text) {
                ids.add(id);
                if (Thread.currentThread() != caller) {
                    threads.add(Thread.currentThread().getName());
                }
            }

            @Override
            public boolean cancelled() {
                return ids.size() >= 3;
            }
        };
        GenerationResult r = pipelined(llama3, 2, 4).generate(PROMPTS[1], GenerationConfig.greedy(40, List.of()), cancelAtThree);
        assertEquals(List.of(), threads, "listener calls off the calling thread");
        assertEquals(FinishReason.CANCELLED, r.finishReason());
        assertEquals(3, r.tokenIds().length);
        int[] expected = Arrays.copyOf(autoregressive(llama3, PROMPTS[1], GenerationConfig.greedy(40, List.of())), 3);
        assertArrayEquals(expected, r.tokenIds());
        // the next generation on the same model is unaffected by the one that was cancelled
        GenerationConfig config = GenerationConfig.greedy(20, List.of());
        assertArrayEquals(autoregressive(llama3, PROMPTS[2], config),
                pipelined(llama3, 2, 4).generate(PROMPTS[2], config, TokenListener.NONE).tokenIds());
    }

    @Test
    void repetitionControlIsAppliedByTheVerifierWithTheAutoregressiveResult() {
        List<RepetitionControl> controls = List.of(RepetitionControl.of(1.3, 0), RepetitionControl.of(1, 2),
                new RepetitionControl(1.2, 3, 0.5, 0.3), RepetitionControl.of(0.7, 0));
        for (LoadedModel m : List.of(llama3, llama2)) {
            for (RepetitionControl control : controls) {
                GenerationConfig config = GenerationConfig.greedy(24, List.of()).withRepetition(control);
                for (int[] prompt : PROMPTS) {
                    int[] reference = autoregressive(m, prompt, config);
                    for (int e = 1; e < m.model().numLayers(); e++) {
                        for (int depth : new int[] {1, 3, 40}) {
                            GenerationResult r = pipelined(m, e, depth).generate(prompt, config, TokenListener.NONE);
                            assertArrayEquals(reference, r.tokenIds(), control + " E=" + e + " depth " + depth);
                            assertEquals(23, r.stats().drafted(), "pipelined: one draft checked per emitted token");
                        }
                    }
                }
            }
        }
    }

    @Test
    void sampledRequestsDecodeInRoundsWithTheSameResult() {
        SelfSpeculativeGenerator rounds = new SelfSpeculativeGenerator(llama3.model(), llama3.tokenizer(), 2, new DraftLength.Fixed(3));
        SelfSpeculativeGenerator pipe = rounds.withPipeline(true);
        for (long seed = 1; seed <= 4; seed++) {
            GenerationConfig sampled = new GenerationConfig(20, new SamplingConfig(0.9, 0, 0.95, seed), List.of(), List.of());
            GenerationResult expected = rounds.generate(PROMPTS[0], sampled, TokenListener.NONE);
            GenerationResult r = pipe.generate(PROMPTS[0], sampled, TokenListener.NONE);
            assertArrayEquals(expected.tokenIds(), r.tokenIds(), "seed " + seed);
            assertEquals(expected.stats().drafted(), r.stats().drafted(), "decoded in rounds");
        }
    }

    @Test
    void nonFiniteLogitsStopThePipelineWithAClearError() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Generator g = new SelfSpeculativeGenerator(TestCheckpoints.overflowingHead(manager), null, 1,
                    new DraftLength.Fixed(3)).withPipeline(true);
            for (int i = 0; i < 3; i++) { // and again: the drafter thread of the failed run is free
                NonFiniteLogitsException e = assertThrows(NonFiniteLogitsException.class,
                        () -> g.generate(new int[] {1, 5, 9}, GenerationConfig.greedy(6, List.of()), TokenListener.NONE));
                assertTrue(e.getMessage().contains("non-finite logits (NaN or infinity) at exit layer 3, position"), e.getMessage());
            }
        }
    }

    @Test
    void thousandPipelinedGenerationsStayFlat() throws Exception {
        BaseNDManager manager = (BaseNDManager) llama3.manager();
        GenerationConfig greedy = GenerationConfig.greedy(8, List.of());
        Generator pipe = pipelined(llama3, 2, 3);
        int[] prompt = {1, 298, 296, 297, 36};
        NativeMemoryTestSupport.assertFlat(manager, 300, 1000,
                i -> pipe.generate(prompt, greedy, TokenListener.NONE), "pipelined generations");
    }

    @Test
    void settingsItCannotHonourAreRefusedByName() {
        LlamaModel model = llama3.model();
        IllegalArgumentException notSpeculative = assertThrows(IllegalArgumentException.class,
                () -> DecodingSettings.of(DecodingStrategy.AUTOREGRESSIVE).withPipeline(true).build(model, null, Optional.empty()));
        assertTrue(notSpeculative.getMessage().contains("speculative_pipeline needs the self-speculative strategy"),
                notSpeculative.getMessage());
        IllegalArgumentException confident = assertThrows(IllegalArgumentException.class,
                () -> DecodingSettings.parse(DecodingStrategy.SELF_SPECULATIVE, 2, 4, "0.5", "--draft-confidence")
                        .withPipeline(true).build(model, null, Optional.empty()));
        assertTrue(confident.getMessage().contains("speculative_pipeline needs a fixed draft length"), confident.getMessage());
        for (String bad : List.of("yes", "1", "tru", "on")) { // blank means unset, as for every argument
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> GenerationArguments.from(Map.of("speculative_pipeline", bad)));
            assertTrue(e.getMessage().contains("'speculative_pipeline' must be true or false"), e.getMessage());
        }
        Generator g = GenerationArguments.from(Map.of("strategy", "self-speculative", "speculative_pipeline", "true"))
                .decoding().build(model, null, Optional.empty());
        assertTrue(((SelfSpeculativeGenerator) g).pipelined());
        Generator plain = GenerationArguments.from(Map.of("strategy", "self-speculative")).decoding()
                .build(model, null, Optional.empty());
        assertTrue(!((SelfSpeculativeGenerator) plain).pipelined());
    }
}
