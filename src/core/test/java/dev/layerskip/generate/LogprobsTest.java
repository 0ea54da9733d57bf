package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.eval.LayerPerplexity;
import dev.layerskip.eval.PerLayerEvaluator;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Log-probabilities: exact on a toy row; on the demo, the verifier's values in self-speculative decoding
 * (rounds, the pipeline, a batch) are those of autoregressive decoding, the prompt's equal {@code eval}'s
 * next-token NLL at every exit, and streamed values equal the result's.
 */
class LogprobsTest {

    private static final double TOLERANCE = 1e-4; // float32 logits of differently shaped passes
    private static LoadedModel demo;

    @BeforeAll
    static void load() throws IOException {
        demo = LoadedModel.load(Path.of("models/layerskip-demo"), LoadOptions.CPU_FLOAT32);
    }

    @AfterAll
    static void close() {
        demo.close();
    }

    @Test
    void logSoftmaxAndTopAlternativesOfAToyRow() {
        float[] logits = {1, 3, 2, 3};
        double logZ = Math.log(Math.exp(1) + 2 * Math.exp(3) + Math.exp(2));
        TokenLogprob lp = TokenLogprob.of(logits, 2, 3);
        assertEquals(2 - logZ, lp.logprob(), 1e-12);
        assertArrayEquals(new int[] {1, 3, 2}, lp.topIds(), "most likely first, ties to the lower id");
        assertArrayEquals(new double[] {3 - logZ, 3 - logZ, 2 - logZ}, lp.topLogprobs(), 1e-12);
        assertEquals(0, TokenLogprob.of(logits, 0, 0).topIds().length);
        assertEquals(4, TokenLogprob.of(logits, 0, 9).topIds().length, "at most the vocabulary");
        assertThrows(IllegalArgumentException.class, () -> new LogprobOptions(21, false));
        assertThrows(IllegalArgumentException.class, () -> new LogprobOptions(-1, true));
    }

    private static GenerationResult run(Generator g, int[] prompt, GenerationConfig config, List<TokenLogprob> streamed) {
        return g.generate(prompt, config, new TokenListener() {
            @Override
            public void onToken(int tokenId, String textDelta) {}

            @Override
            public void onLogprob(TokenLogprob logprob) {
                streamed.add(logprob);
            }
        });
    }

    private static void assertClose(List<TokenLogprob> expected, List<TokenLogprob> actual, String what) {
        assertEquals(expected.size(), actual.size(), what);
        for (int i = 0; i < expected.size(); i++) {
            TokenLogprob e = expected.get(i);
            TokenLogprob a = actual.get(i);
            assertEquals(e.tokenId(), a.tokenId(), what + " token " + i);
            assertEquals(e.logprob(), a.logprob(), TOLERANCE, what + " token " + i);
            assertArrayEquals(e.topIds(), a.topIds(), what + " token " + i);
            assertArrayEquals(e.topLogprobs(), a.topLogprobs(), TOLERANCE, what + " token " + i);
        }
    }

    @Test
    void selfSpeculativeRunsReportTheVerifiersValuesWhichAreAutoregressives() {
        int[] prompt = demo.tokenizer().encode("def read_lines(path):");
        GenerationConfig config = GenerationConfig.greedy(40, demo.defaults().eosTokenIds()).withLogprobs(LogprobOptions.tokens(3));
        int layers = demo.model().numLayers();
        List<TokenLogprob> arStreamed = new ArrayList<>();
        GenerationResult ar = run(new AutoregressiveGenerator(demo.model(), demo.tokenizer(), layers), prompt, config, arStreamed);
        assertEquals(ar.tokenIds().length, ar.logprobs().size());
        assertEquals(ar.logprobs(), arStreamed, "streamed before each token, the same values");
        for (int i = 0; i < ar.tokenIds().length; i++) {
            TokenLogprob lp = ar.logprobs().get(i);
            assertEquals(ar.tokenIds()[i], lp.tokenId());
            assertEquals(lp.topIds()[0], lp.tokenId(), "greedy picks the most likely token");
            assertEquals(lp.topLogprobs()[0], lp.logprob(), 0.0);
            assertTrue(lp.logprob() <= 0 && lp.topLogprobs()[1] <= lp.logprob());
        }
        for (boolean pipelined : new boolean[] {false, true}) {
            Generator spec = new SelfSpeculativeGenerator(demo.model(), demo.tokenizer(), 4, new DraftLength.Fixed(3))
                    .withPipeline(pipelined);
            GenerationResult r = run(spec, prompt, config, new ArrayList<>());
            assertArrayEquals(ar.tokenIds(), r.tokenIds());
            assertTrue(r.stats().accepted() > 0, "drafts were accepted, so verified positions reported values");
            assertClose(ar.logprobs(), r.logprobs(), pipelined ? "pipeline" : "rounds");
        }
        try (BatchScheduler scheduler = new BatchScheduler(demo.model(), demo.tokenizer(), new BatchLimits(4, 64L << 20, 16))) {
            Generator spec = new SelfSpeculativeGenerator(demo.model(), demo.tokenizer(), 4, new DraftLength.Fixed(2));
            List<TokenLogprob> streamed = new ArrayList<>();
            GenerationResult r = scheduler.generate(spec, prompt, config, new TokenListener() {
                @Override
                public void onToken(int tokenId, String textDelta) {}

                @Override
                public void onLogprob(TokenLogprob logprob) {
                    streamed.add(logprob);
                }
            });
            assertClose(ar.logprobs(), r.logprobs(), "scheduler");
            assertEquals(r.logprobs(), streamed, "the scheduler forwards them to the caller's listener");
        }
        GenerationConfig sampled = new GenerationConfig(24, new SamplingConfig(0.7, 0, 1.0, 5), List.of(), List.of())
                .withLogprobs(LogprobOptions.tokens(0));
        GenerationResult s = run(new SelfSpeculativeGenerator(demo.model(), demo.tokenizer(), 4, new DraftLength.Fixed(3)),
                prompt, sampled, new ArrayList<>());
        assertEquals(s.tokenIds().length, s.logprobs().size(), "sampled tokens get theirs too");
        assertEquals(List.of(), run(new AutoregressiveGenerator(demo.model(), demo.tokenizer(), layers), prompt,
                GenerationConfig.greedy(4, List.of()), new ArrayList<>()).logprobs(), "none unless asked for");
    }

    @Test
    void promptLogprobsSumToEvalsLogLikelihoodAtEveryExit() {
        int[] ids = demo.tokenizer().encode("import os\n\n\ndef main():\n    print(os.getcwd())\n");
        List<LayerPerplexity> eval = new PerLayerEvaluator(demo.model(), ids.length).evaluate(ids);
        GenerationConfig config = GenerationConfig.greedy(1, List.of()).withLogprobs(new LogprobOptions(2, true));
        for (int exit = 1; exit <= demo.model().numLayers(); exit++) {
            GenerationResult r = run(new AutoregressiveGenerator(demo.model(), demo.tokenizer(), exit), ids, config,
                    new ArrayList<>());
            assertEquals(ids.length - 1, r.promptLogprobs().size());
            double sum = 0;
            for (int i = 0; i < ids.length - 1; i++) {
                assertEquals(ids[i + 1], r.promptLogprobs().get(i).tokenId());
                sum += r.promptLogprobs().get(i).logprob();
            }
            LayerPerplexity layer = eval.get(exit - 1);
            assertEquals(exit, layer.exitLayer());
            assertEquals(-layer.nll() * layer.tokens(), sum, 1e-3, "exit " + exit);
        }
    }
}
