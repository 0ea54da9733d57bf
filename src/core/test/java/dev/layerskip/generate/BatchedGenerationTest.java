package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Rolling batches give every request exactly what it gets alone: 16 concurrent requests of different
 * prompts, lengths, strategies, exit layers, draft policies, sampling and repetition settings, on the
 * shipped demo model, against single runs.
 */
class BatchedGenerationTest {

    private static final String[] PROMPTS = {
        "def read_lines(path):", "import os\n\n\ndef main(", "class Config:\n    def __init__(self", "for i in range(",
        "    return self.", "# Copyright", "def _check(value, name):\n    if not", "x = [",
    };

    /** One request: a generator and a config, seeded from the case number. */
    private record Case(Generator generator, int[] prompt, GenerationConfig config) { }

    private static List<Case> cases(LoadedModel m, int n, long seed) {
        Random random = new Random(seed);
        int layers = m.model().numLayers();
        List<Integer> eos = m.defaults().eosTokenIds();
        List<Case> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Generator g = switch (i % 5) {
                case 0 -> new AutoregressiveGenerator(m.model(), m.tokenizer(), layers);
                case 1 -> new AutoregressiveGenerator(m.model(), m.tokenizer(), 2 + random.nextInt(layers - 2));
                case 2 -> new SelfSpeculativeGenerator(m.model(), m.tokenizer(), 3, new DraftLength.Fixed(1 + random.nextInt(6)));
                case 3 -> new SelfSpeculativeGenerator(m.model(), m.tokenizer(), 3, new DraftLength.Adaptive(6));
                default -> new SelfSpeculativeGenerator(m.model(), m.tokenizer(), 3, new DraftLength.Confident(6, 0.4));
            };
            int max = 8 + random.nextInt(40);
            SamplingConfig sampling = random.nextBoolean() ? SamplingConfig.GREEDY
                    : new SamplingConfig(0.7 + random.nextDouble() * 0.6, random.nextBoolean() ? 0 : 40, 0.95, random.nextLong());
            RepetitionControl repetition = switch (random.nextInt(3)) {
                case 0 -> RepetitionControl.NONE;
                case 1 -> RepetitionControl.of(1.2, 0);
                default -> RepetitionControl.of(1.0, 3);
            };
            GenerationConfig config = new GenerationConfig(max, sampling, eos, List.of()).withRepetition(repetition);
            out.add(new Case(g, m.tokenizer().encode(PROMPTS[random.nextInt(PROMPTS.length)]), config));
        }
        return out;
    }

    @Test
    void sixteenConcurrentRequestsMatchSingleRuns() throws Exception {
        try (LoadedModel m = LoadedModel.load(Path.of("models/layerskip-demo"), TestCheckpoints.float32())) {
            List<Case> cases = cases(m, 16, 11);
            List<int[]> alone = new ArrayList<>();
            for (Case c : cases) {
                alone.add(c.generator().generate(c.prompt(), c.config(), TokenListener.NONE).tokenIds());
            }
            ExecutorService clients = Executors.newFixedThreadPool(16);
            try (BatchScheduler scheduler = new BatchScheduler(m.model(), m.tokenizer(), BatchLimits.of(8))) {
                List<Future<GenerationResult>> batched = new ArrayList<>();
                List<List<Integer>> streamed = new ArrayList<>();
                for (Case c : cases) {
                    List<Integer> ids = new ArrayList<>();
                    streamed.add(ids);
                    batched.add(clients.submit(() -> scheduler.generate(c.generator(), c.prompt(), c.config(),
                            (id, text) -> ids.add(id))));
                }
                for (int i = 0; i < cases.size(); i++) {
                    int[] got = batched.get(i).get().tokenIds();
                    assertArrayEquals(alone.get(i), got, "request " + i + " (" + cases.get(i).generator().getClass().getSimpleName()
                            + ", " + cases.get(i).config().sampling() + ")");
                    assertEquals(got.length, streamed.get(i).size(), "every token reached the request's own listener");
                }
                assertEquals(0, scheduler.running());
                assertTrue(scheduler.peakRunning() >= 4, "requests shared steps: peak " + scheduler.peakRunning());
            } finally {
                clients.shutdownNow();
            }
        }
    }

    @Test
    void rowsInOneBatchShareEveryStepAndStillMatch() throws IOException {
        try (LoadedModel m = LoadedModel.load(Path.of("models/layerskip-demo"), TestCheckpoints.float32())) {
            for (boolean speculative : new boolean[] {false, true}) {
                List<BatchRow> rows = new ArrayList<>();
                List<int[]> alone = new ArrayList<>();
                Random random = new Random(5);
                int exit = speculative ? 3 : m.model().numLayers();
                try (RollingBatch batch = new RollingBatch(m.model(), speculative
                        ? new BatchPlan(exit, DraftScorer.full(m.model()), new DraftLength.Fixed(5), Schedule.ROUNDS)
                        : BatchPlan.steps(exit), 8)) {
                    for (int i = 0; i < 6; i++) {
                        int[] prompt = m.tokenizer().encode(PROMPTS[i]);
                        GenerationConfig config = GenerationConfig.greedy(10 + 7 * i, m.defaults().eosTokenIds());
                        DraftLength dl = speculative ? new DraftLength.Fixed(1 + random.nextInt(5)) : null;
                        Generator g = speculative ? new SelfSpeculativeGenerator(m.model(), m.tokenizer(), exit, dl)
                                : new AutoregressiveGenerator(m.model(), m.tokenizer(), exit);
                        alone.add(g.generate(prompt, config, TokenListener.NONE).tokenIds());
                        BatchRow row = new BatchRow(prompt, config, m.tokenizer(), TokenListener.NONE, m.model().config(), dl, l -> { });
                        rows.add(row);
                        batch.join(row); // rows join one step apart, at different positions
                        batch.step();
                    }
                    int maxRows = batch.rows().size();
                    while (!batch.rows().isEmpty()) {
                        batch.step();
                    }
                    assertTrue(maxRows >= 4, "rows decoded together: " + maxRows);
                }
                for (int i = 0; i < rows.size(); i++) {
                    assertArrayEquals(alone.get(i), rows.get(i).result().tokenIds(), (speculative ? "self-speculative" : "autoregressive") + " row " + i);
                }
            }
        }
    }

    @Test
    void aFullQueueAndAnOversizedCacheAreRefused() throws IOException {
        try (LoadedModel m = LoadedModel.load(Path.of("models/layerskip-demo"), TestCheckpoints.float32())) {
            Generator g = new AutoregressiveGenerator(m.model(), m.tokenizer(), m.model().numLayers());
            int[] prompt = m.tokenizer().encode(PROMPTS[0]);
            GenerationConfig config = GenerationConfig.greedy(600, m.defaults().eosTokenIds());
            try (BatchScheduler tiny = new BatchScheduler(m.model(), m.tokenizer(), new BatchLimits(4, 1 << 20, 4))) {
                GenerationRejectedException e = assertThrows(GenerationRejectedException.class,
                        () -> tiny.generate(g, prompt, config, TokenListener.NONE));
                assertTrue(e.getMessage().contains("kv_cache_budget_mb is 1"), e.getMessage());
            }
            try (BatchScheduler noQueue = new BatchScheduler(m.model(), m.tokenizer(), new BatchLimits(4, 1L << 30, 0))) {
                GenerationRejectedException e = assertThrows(GenerationRejectedException.class,
                        () -> noQueue.generate(g, prompt, config, TokenListener.NONE));
                assertTrue(e.getMessage().contains("max_queued 0"), e.getMessage());
            }
        }
    }

    @Test
    void aCancelledRequestLeavesAndTheOthersGoOn() throws Exception {
        try (LoadedModel m = LoadedModel.load(Path.of("models/layerskip-demo"), TestCheckpoints.float32())) {
            Generator g = new SelfSpeculativeGenerator(m.model(), m.tokenizer(), 3, new DraftLength.Fixed(3));
            GenerationConfig config = GenerationConfig.greedy(40, List.of());
            int[] prompt = m.tokenizer().encode(PROMPTS[1]);
            int[] alone = g.generate(prompt, config, TokenListener.NONE).tokenIds();
            ExecutorService clients = Executors.newFixedThreadPool(2);
            try (BatchScheduler scheduler = new BatchScheduler(m.model(), m.tokenizer(), BatchLimits.of(4))) {
                TokenListener leaves = new TokenListener() {
                    int seen;

                    @Override
                    public void onToken(int tokenId, String textDelta) {
                        seen++;
                    }

                    @Override
                    public boolean cancelled() {
                        return seen >= 3;
                    }
                };
                Future<GenerationResult> cancelled = clients.submit(() -> scheduler.generate(g, m.tokenizer().encode(PROMPTS[0]),
                        GenerationConfig.greedy(400, List.of()), leaves));
                Future<GenerationResult> stays = clients.submit(() -> scheduler.generate(g, prompt, config, TokenListener.NONE));
                GenerationResult c = cancelled.get();
                assertEquals(FinishReason.CANCELLED, c.finishReason());
                assertTrue(c.tokenIds().length < 40, "stopped soon after the listener asked: " + c.tokenIds().length + " tokens");
                assertArrayEquals(alone, stays.get().tokenIds());
            } finally {
                clients.shutdownNow();
            }
        }
    }

    @Test
    void thousandBatchedGenerationsStayFlat() throws Exception {
        try (LoadedModel loaded = LoadedModel.load(TestCheckpoints.LLAMA3, TestCheckpoints.float32())) {
            ai.djl.ndarray.BaseNDManager manager = (ai.djl.ndarray.BaseNDManager) loaded.manager();
            GenerationConfig config = new GenerationConfig(4, new SamplingConfig(0.8, 0, 0.9, 1), List.of(), List.of());
            Generator full = new AutoregressiveGenerator(loaded.model(), loaded.tokenizer(), 4);
            Generator spec = new SelfSpeculativeGenerator(loaded.model(), loaded.tokenizer(), 2, new DraftLength.Fixed(2));
            int[] prompt = {1, 298, 296, 297, 36};
            ExecutorService clients = Executors.newFixedThreadPool(4);
            try (BatchScheduler scheduler = new BatchScheduler(loaded.model(), loaded.tokenizer(), BatchLimits.of(4))) {
                NativeMemoryTestSupport.assertFlat(manager, 100, 250, i -> {
                    List<Future<GenerationResult>> four = new ArrayList<>();
                    for (int c = 0; c < 4; c++) {
                        Generator g = c % 2 == 0 ? full : spec;
                        four.add(clients.submit(() -> scheduler.generate(g, prompt, config, TokenListener.NONE)));
                    }
                    for (Future<GenerationResult> f : four) {
                        assertEquals(4, f.get().tokenIds().length);
                    }
                }, "rounds of 4 concurrent batched generations");
            } finally {
                clients.shutdownNow();
            }
        }
    }
}
