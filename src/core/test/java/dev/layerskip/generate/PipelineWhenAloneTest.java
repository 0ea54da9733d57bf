package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * "Pipeline when alone, batch when not": a lone pipelined greedy request in a {@link BatchScheduler}
 * decodes as the two-thread pipeline, yields at a verification boundary when other requests arrive,
 * continues in batched rounds and goes back to the pipeline when alone again, with the same tokens
 * throughout (those of the rounds and of autoregressive decoding).
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class PipelineWhenAloneTest {

    private static final String[] PROMPTS = {"def read_lines(path):", "import os\n\n\ndef main(", "class Config:\n    def __init__(self"};
    private static LoadedModel demo;
    private static LoadedModel llama3;

    @BeforeAll
    static void load() throws IOException {
        demo = LoadedModel.load(Path.of("models/layerskip-demo"), LoadOptions.CPU_FLOAT32);
        llama3 = LoadedModel.load(TestCheckpoints.LLAMA3, LoadOptions.CPU_FLOAT32);
    }

    @AfterAll
    static void close() {
        demo.close();
        llama3.close();
    }

    private static int[] autoregressive(LoadedModel m, int[] prompt, GenerationConfig config) {
        return new AutoregressiveGenerator(m.model(), m.tokenizer(), m.model().numLayers())
                .generate(prompt, config, TokenListener.NONE).tokenIds();
    }

    private static SelfSpeculativeGenerator speculative(LoadedModel m, int exit, int depth) {
        return new SelfSpeculativeGenerator(m.model(), m.tokenizer(), exit, new DraftLength.Fixed(depth));
    }

    /** One row decoded by pipelines that yield every {@code period}-th verification, alternating with a round. */
    private static int[] yieldingPipeline(LoadedModel m, int exit, int depth, int period, int[] prompt, GenerationConfig config) {
        InferenceMode.enterOnThisThread();
        BatchRow row = new BatchRow(prompt, config, m.tokenizer(), TokenListener.NONE, m.model().config(),
                new DraftLength.Fixed(depth), l -> { });
        AtomicInteger verifications = new AtomicInteger();
        try (RollingBatch batch = new RollingBatch(m.model(),
                new BatchPlan(exit, DraftScorer.full(m.model()), new DraftLength.Fixed(depth), Schedule.PIPELINE), 1)) {
            batch.join(row);
            boolean pipeline = true;
            while (!batch.rows().isEmpty()) {
                if (pipeline) {
                    batch.pipeline(() -> verifications.incrementAndGet() % period == 0);
                } else {
                    batch.step();
                }
                pipeline = !pipeline;
            }
        }
        assertTrue(verifications.get() > 0, "the pipeline ran");
        return row.result().tokenIds();
    }

    @Test
    void aYieldedRowGoesOnInRoundsAndPipelinesWithTheSameTokens() {
        GenerationConfig penalised = GenerationConfig.greedy(30, List.of()).withRepetition(RepetitionControl.of(1.3, 3));
        for (GenerationConfig config : List.of(GenerationConfig.greedy(30, List.of()), penalised)) {
            for (int[] prompt : SelfSpeculativeTest.PROMPTS) { // random weights: many rejections
                int[] reference = autoregressive(llama3, prompt, config);
                for (int e = 1; e < llama3.model().numLayers(); e++) {
                    for (int depth : new int[] {1, 3}) {
                        for (int period : new int[] {1, 3}) {
                            assertArrayEquals(reference, yieldingPipeline(llama3, e, depth, period, prompt, config),
                                    "E=" + e + " depth " + depth + " yield every " + period + ", " + config.repetition());
                        }
                    }
                }
            }
        }
        GenerationConfig greedy = GenerationConfig.greedy(60, demo.defaults().eosTokenIds());
        for (String text : PROMPTS) { // trained weights: long accepted runs
            int[] prompt = demo.tokenizer().encode(text);
            assertArrayEquals(autoregressive(demo, prompt, greedy), yieldingPipeline(demo, 5, 2, 2, prompt, greedy), text);
        }
    }

    @Test
    void yieldedPipelinesFreeTheirDrafts() throws Exception {
        GenerationConfig greedy = GenerationConfig.greedy(12, List.of());
        int[] prompt = SelfSpeculativeTest.PROMPTS[0];
        NativeMemoryTestSupport.assertFlat((BaseNDManager) llama3.manager(), 30, 150,
                i -> yieldingPipeline(llama3, 2, 3, 1 + i % 3, prompt, greedy), "yielding pipelines");
    }

    @Test
    void aLoneRequestRunsAsThePipelineWithTheTokensOfTheRounds() {
        SelfSpeculativeGenerator rounds = speculative(demo, 5, 2);
        SelfSpeculativeGenerator pipelined = rounds.withPipeline(true);
        GenerationConfig greedy = GenerationConfig.greedy(48, demo.defaults().eosTokenIds());
        GenerationConfig penalised = greedy.withRepetition(RepetitionControl.of(1.0, 4));
        try (BatchScheduler scheduler = new BatchScheduler(demo.model(), demo.tokenizer(), BatchLimits.of(8))) {
            int runs = 0;
            for (GenerationConfig config : List.of(greedy, penalised)) {
                for (String text : PROMPTS) {
                    int[] prompt = demo.tokenizer().encode(text);
                    int[] inRounds = rounds.generate(prompt, config, TokenListener.NONE).tokenIds();
                    assertArrayEquals(autoregressive(demo, prompt, config), inRounds, text);
                    List<Integer> streamed = new ArrayList<>();
                    GenerationResult r = scheduler.generate(pipelined, prompt, config, (id, t) -> streamed.add(id));
                    assertArrayEquals(inRounds, r.tokenIds(), text + ", " + config.repetition());
                    assertEquals(r.tokenIds().length, streamed.size(), "every token reached the listener");
                    assertEquals(++runs, scheduler.pipelineRuns(), "the lone request ran as the pipeline");
                }
            }
            assertEquals(0, scheduler.pipelineYields(), "nobody else came: no pipeline yielded");
            // not pipelined, or sampled: rounds, as before
            scheduler.generate(rounds, demo.tokenizer().encode(PROMPTS[0]), greedy, TokenListener.NONE);
            scheduler.generate(pipelined, demo.tokenizer().encode(PROMPTS[0]),
                    new GenerationConfig(16, new SamplingConfig(0.8, 0, 1.0, 3), List.of(), List.of()), TokenListener.NONE);
            assertEquals(runs, scheduler.pipelineRuns(), "only pipelined greedy requests pipeline");
        }
    }

    @Test
    void aPipelineYieldsToRequestsThatArriveAndEveryRequestKeepsItsTokens() throws Exception {
        SelfSpeculativeGenerator pipelined = speculative(demo, 5, 2).withPipeline(true);
        int[] first = demo.tokenizer().encode(PROMPTS[0]);
        GenerationConfig longRun = GenerationConfig.greedy(400, List.of()); // no EOS: it runs to its length
        List<Generator> others = List.of(new AutoregressiveGenerator(demo.model(), demo.tokenizer(), demo.model().numLayers()),
                speculative(demo, 3, 3).withPipeline(true), pipelined);
        List<int[]> prompts = List.of(demo.tokenizer().encode(PROMPTS[1]), demo.tokenizer().encode(PROMPTS[2]),
                demo.tokenizer().encode("for i in range("));
        GenerationConfig shortRun = GenerationConfig.greedy(12, List.of());
        int[] firstAlone = autoregressive(demo, first, longRun);
        List<int[]> othersAlone = new ArrayList<>();
        for (int i = 0; i < others.size(); i++) {
            othersAlone.add(others.get(i).generate(prompts.get(i), shortRun, TokenListener.NONE).tokenIds());
        }
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try (BatchScheduler scheduler = new BatchScheduler(demo.model(), demo.tokenizer(), BatchLimits.of(8))) {
            CountDownLatch started = new CountDownLatch(10); // the first request has streamed 10 tokens
            Future<GenerationResult> lone = clients.submit(() -> scheduler.generate(pipelined, first, longRun,
                    (id, t) -> started.countDown()));
            assertTrue(started.await(60, TimeUnit.SECONDS), "the first request streams");
            List<Future<GenerationResult>> joined = new ArrayList<>();
            for (int i = 0; i < others.size(); i++) {
                int k = i;
                joined.add(clients.submit(() -> scheduler.generate(others.get(k), prompts.get(k), shortRun, TokenListener.NONE)));
            }
            for (int i = 0; i < others.size(); i++) {
                assertArrayEquals(othersAlone.get(i), joined.get(i).get().tokenIds(), "request " + (i + 1));
            }
            assertArrayEquals(firstAlone, lone.get().tokenIds(), "the first request");
            assertTrue(scheduler.pipelineYields() >= 1, "the pipeline yielded: " + scheduler.pipelineYields());
            assertTrue(scheduler.pipelineRuns() >= 2, "the first request went back to the pipeline once alone: "
                    + scheduler.pipelineRuns() + " runs");
            assertTrue(scheduler.peakRunning() >= 2, "the requests shared steps: peak " + scheduler.peakRunning());
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void aPipelineYieldsToARequestOfAnotherScheduler() throws Exception {
        SelfSpeculativeGenerator pipelined = speculative(demo, 5, 2).withPipeline(true);
        int[] first = demo.tokenizer().encode(PROMPTS[0]);
        int[] second = demo.tokenizer().encode(PROMPTS[1]);
        GenerationConfig longRun = GenerationConfig.greedy(400, List.of());
        GenerationConfig shortRun = GenerationConfig.greedy(12, List.of());
        int[] firstAlone = autoregressive(demo, first, longRun);
        int[] secondAlone = autoregressive(demo, second, shortRun);
        ExecutorService clients = Executors.newFixedThreadPool(2);
        try (BatchSchedulers schedulers = new BatchSchedulers(demo.model(), demo.tokenizer(), BatchLimits.of(8))) {
            CountDownLatch started = new CountDownLatch(10);
            Future<GenerationResult> lone = clients.submit(() -> schedulers.generate(pipelined, first, longRun,
                    (id, t) -> started.countDown()));
            assertTrue(started.await(60, TimeUnit.SECONDS), "the first request streams");
            // with two or more schedulers it lands in another one: two pipelines must not compete for the cores
            assertArrayEquals(secondAlone, schedulers.generate(pipelined, second, shortRun, TokenListener.NONE).tokenIds());
            assertArrayEquals(firstAlone, lone.get().tokenIds());
            assertTrue(schedulers.pipelineYields() >= 1, "the first request's pipeline yielded (" + schedulers.size()
                    + " schedulers)");
        } finally {
            clients.shutdownNow();
        }
    }
}
