package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Draft, verify and accept are shared by the schedules: every draft the rounds and the two-thread
 * pipeline propose is the early exit's greedy token under repetition control with the draft's own
 * context (the text so far, then the earlier drafts of its round), so both schedules draft alike.
 */
class DraftPenaltyTest {

    private static final int EXIT = 3;
    private static LoadedModel demo;

    @BeforeAll
    static void load() throws IOException {
        demo = LoadedModel.load(Path.of("models/layerskip-demo"), LoadOptions.CPU_FLOAT32);
    }

    @AfterAll
    static void close() {
        demo.close();
    }

    /** What the listener saw: each checked draft list, with the tokens emitted before its round. */
    private record Round(int[] before, int[] drafts) {}

    private static List<Round> rounds(Generator generator, int[] prompt, GenerationConfig config, List<Integer> out) {
        List<Round> rounds = new ArrayList<>();
        generator.generate(prompt, config, new TokenListener() {
            @Override
            public void onToken(int id, String text) {
                out.add(id);
            }

            @Override
            public void onDraft(int[] draftIds, int accepted) {
                rounds.add(new Round(out.stream().mapToInt(Integer::intValue).toArray(), draftIds.clone()));
            }
        });
        return rounds;
    }

    /** The early exit's greedy token after a context, under the config's repetition control. */
    private static int earlyExitNext(int[] context, GenerationConfig config) {
        GenerationConfig one = GenerationConfig.greedy(1, List.of()).withRepetition(config.repetition());
        return new AutoregressiveGenerator(demo.model(), demo.tokenizer(), EXIT)
                .generate(context, one, TokenListener.NONE).tokenIds()[0];
    }

    private static int[] concat(int[] prompt, int[] before, int[] drafts, int n) {
        return IntStream.concat(IntStream.concat(IntStream.of(prompt), IntStream.of(before)),
                IntStream.of(drafts).limit(n)).toArray();
    }

    @Test
    void roundsAndPipelineDraftWithTheSamePenalisedContext() {
        int[] prompt = demo.tokenizer().encode("def read_lines(path):\n    with open(path) as f:");
        GenerationConfig config = GenerationConfig.greedy(40, List.of()).withRepetition(RepetitionControl.of(1.8, 3));
        GenerationConfig plain = GenerationConfig.greedy(40, List.of());
        int[] reference = new AutoregressiveGenerator(demo.model(), demo.tokenizer(), demo.model().numLayers())
                .generate(prompt, config, TokenListener.NONE).tokenIds();
        for (boolean pipelined : new boolean[] {false, true}) {
            SelfSpeculativeGenerator g = new SelfSpeculativeGenerator(demo.model(), demo.tokenizer(), EXIT,
                    new DraftLength.Fixed(3)).withPipeline(pipelined);
            List<Integer> out = new ArrayList<>();
            List<Round> rounds = rounds(g, prompt, config, out);
            assertArrayEquals(reference, out.stream().mapToInt(Integer::intValue).toArray(), "pipelined " + pipelined);
            int checked = 0;
            int changedByPenalty = 0;
            for (Round round : rounds) {
                for (int i = 0; i < round.drafts().length; i++) {
                    int[] context = concat(prompt, round.before(), round.drafts(), i);
                    int expected = earlyExitNext(context, config);
                    assertEquals(expected, round.drafts()[i], "pipelined " + pipelined + ", draft " + i + " after "
                            + round.before().length + " tokens");
                    changedByPenalty += expected != earlyExitNext(context, plain) ? 1 : 0;
                    checked++;
                }
            }
            assertTrue(checked >= 20, "drafts checked: " + checked);
            assertTrue(changedByPenalty > 0, "the penalties change some drafts, so unpenalised drafts would fail here");
        }
    }

    @Test
    void batchPlansAreValidated() {
        DraftScorer full = DraftScorer.full(demo.model());
        DraftLength three = new DraftLength.Fixed(3);
        assertEquals(new BatchPlan(2, full, three, Schedule.ROUNDS).batchKey(),
                new BatchPlan(2, full, new DraftLength.Fixed(5), Schedule.PIPELINE).batchKey(),
                "rounds and pipeline rows share a batch");
        assertTrue(!BatchPlan.steps(2).batchKey().equals(new BatchPlan(2, full, three, Schedule.ROUNDS).batchKey()));
        assertThrows(IllegalArgumentException.class, () -> new BatchPlan(2, null, three, Schedule.ROUNDS));
        assertThrows(IllegalArgumentException.class, () -> new BatchPlan(2, full, null, Schedule.PIPELINE));
        assertThrows(IllegalArgumentException.class, () -> new BatchPlan(2, full, three, Schedule.STEPS));
        assertThrows(IllegalArgumentException.class, () -> new BatchPlan(0, null, null, Schedule.STEPS));
        assertThrows(IllegalArgumentException.class, () -> new BatchPlan(2, null, null, null));
    }
}
