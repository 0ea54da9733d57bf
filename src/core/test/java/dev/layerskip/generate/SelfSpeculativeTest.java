package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Greedy self-speculative decoding is lossless; stopping and streaming match autoregressive. */
class SelfSpeculativeTest {

    /** Fixture prompts of different lengths, shared by the self-speculative tests. */
    static final int[][] PROMPTS = TestCheckpoints.SPECULATIVE_PROMPTS;
    private static LoadedModel llama3;
    private static LoadedModel llama2;

    @BeforeAll
    static void load() throws IOException {
        llama3 = LoadedModel.load(TestCheckpoints.LLAMA3, TestCheckpoints.float32());
        llama2 = LoadedModel.load(TestCheckpoints.LLAMA2, TestCheckpoints.float32());
    }

    @AfterAll
    static void close() {
        llama3.close();
        llama2.close();
    }

    private static GenerationResult autoregressive(LoadedModel m, int[] prompt, GenerationConfig config) {
        return new AutoregressiveGenerator(m.model(), m.tokenizer(), m.model().numLayers()).generate(prompt, config, TokenListener.NONE);
    }

    @Test
    void greedyOutputIsIdenticalForEveryExitAndDraftLength() {
        for (LoadedModel m : List.of(llama3, llama2)) {
            int layers = m.model().numLayers();
            for (int[] prompt : PROMPTS) {
                GenerationConfig config = GenerationConfig.greedy(24, List.of());
                GenerationResult reference = autoregressive(m, prompt, config);
                for (int e = 1; e < layers; e++) {
                    for (DraftLength dl : List.of(new DraftLength.Fixed(1), new DraftLength.Fixed(3),
                            new DraftLength.Fixed(40), new DraftLength.Confident(6, 0.5), new DraftLength.Adaptive(8))) {
                        GenerationResult r = new SelfSpeculativeGenerator(m.model(), m.tokenizer(), e, dl).generate(prompt, config, TokenListener.NONE);
                        assertArrayEquals(reference.tokenIds(), r.tokenIds(), "E=" + e + " " + dl);
                        assertEquals(reference.finishReason(), r.finishReason());
                        assertTrue(r.stats().rounds() > 0 && r.stats().accepted() <= r.stats().drafted());
                    }
                }
            }
        }
    }

    @Test
    void greedyOutputWithRepetitionControlIsIdenticalForEveryExitAndDraftLength() {
        List<RepetitionControl> controls = List.of(RepetitionControl.of(1.3, 0), RepetitionControl.of(1, 2),
                new RepetitionControl(1.2, 3, 0.5, 0.3), RepetitionControl.of(0.7, 0));
        for (LoadedModel m : List.of(llama3, llama2)) {
            int layers = m.model().numLayers();
            for (int[] prompt : PROMPTS) {
                GenerationConfig plain = GenerationConfig.greedy(24, List.of());
                int[] unpenalised = autoregressive(m, prompt, plain).tokenIds();
                for (RepetitionControl control : controls) {
                    GenerationConfig config = plain.withRepetition(control);
                    GenerationResult reference = autoregressive(m, prompt, config);
                    assertTrue(!java.util.Arrays.equals(unpenalised, reference.tokenIds()) || control.noRepeatNgramSize() > 0,
                            "the penalty must change this output for the test to mean something: " + control);
                    for (int e = 1; e < layers; e++) {
                        for (DraftLength dl : List.of(new DraftLength.Fixed(1), new DraftLength.Fixed(3),
                                new DraftLength.Fixed(40), new DraftLength.Confident(6, 0.5), new DraftLength.Adaptive(8))) {
                            GenerationResult r = new SelfSpeculativeGenerator(m.model(), m.tokenizer(), e, dl)
                                    .generate(prompt, config, TokenListener.NONE);
                            assertArrayEquals(reference.tokenIds(), r.tokenIds(), control + " E=" + e + " " + dl);
                            assertEquals(reference.finishReason(), r.finishReason());
                        }
                    }
                }
            }
        }
    }

    @Test
    void noRepeatNgramSizeLeavesNoRepeatedNgramInPromptPlusOutput() {
        for (LoadedModel m : List.of(llama3, llama2)) {
            for (int[] prompt : PROMPTS) {
                for (int n : new int[] {2, 3}) {
                    GenerationConfig config = GenerationConfig.greedy(40, List.of()).withRepetition(RepetitionControl.of(1, n));
                    int[] out = new SelfSpeculativeGenerator(m.model(), m.tokenizer(), 1, new DraftLength.Fixed(4))
                            .generate(prompt, config, TokenListener.NONE).tokenIds();
                    int[] all = java.util.stream.IntStream.concat(java.util.Arrays.stream(prompt), java.util.Arrays.stream(out)).toArray();
                    java.util.Set<String> seen = new java.util.HashSet<>();
                    for (int i = 0; i + n <= all.length; i++) {
                        String gram = java.util.Arrays.toString(java.util.Arrays.copyOfRange(all, i, i + n));
                        boolean isNew = seen.add(gram);
                        if (i + n > prompt.length) { // every n-gram that ends in the output is new
                            assertTrue(isNew, "n=" + n + " repeated " + gram + " in " + java.util.Arrays.toString(all));
                        }
                    }
                }
            }
        }
    }

    @Test
    void stopsOnEosInsideADraftLikeAutoregressive() {
        // tiny-llama3 greedy ends with EOS 3 as its 10th token at exit 2; at the full model with
        // EOS ids {2, 3} use the prompt whose continuation contains an EOS within the drafts.
        for (LoadedModel m : List.of(llama3, llama2)) {
            for (int[] prompt : PROMPTS) {
                GenerationConfig config = GenerationConfig.greedy(30, m.defaults().eosTokenIds());
                GenerationResult reference = autoregressive(m, prompt, config);
                for (int d : new int[] {1, 4, 16}) {
                    GenerationResult r = new SelfSpeculativeGenerator(m.model(), m.tokenizer(), 1, new DraftLength.Fixed(d))
                            .generate(prompt, config, TokenListener.NONE);
                    assertArrayEquals(reference.tokenIds(), r.tokenIds(), "d=" + d);
                    assertEquals(reference.finishReason(), r.finishReason());
                }
            }
        }
    }

    @Test
    void aModelThatStopsOnEosMidDraft() {
        // tiny-llama2 full-model greedy from this prompt ends with EOS (golden.json): the EOS is
        // reached inside a round of 8 drafts, and nothing after it is emitted.
        int[] prompt = {1, 57, 283, 14, 199, 96};
        GenerationConfig config = GenerationConfig.greedy(40, List.of(2));
        GenerationResult reference = autoregressive(llama2, prompt, config);
        GenerationResult r = new SelfSpeculativeGenerator(llama2.model(), null, 2, new DraftLength.Fixed(8))
                .generate(prompt, config, TokenListener.NONE);
        assertArrayEquals(reference.tokenIds(), r.tokenIds());
        assertEquals(reference.finishReason(), r.finishReason());
    }

    @Test
    void draftsLongerThanTheTokensLeftNeverExceedMaxNewTokens() {
        for (int n : new int[] {1, 2, 3, 5}) {
            GenerationConfig config = GenerationConfig.greedy(n, List.of());
            GenerationResult reference = autoregressive(llama3, PROMPTS[0], config);
            GenerationResult r = new SelfSpeculativeGenerator(llama3.model(), null, 3, new DraftLength.Fixed(10))
                    .generate(PROMPTS[0], config, TokenListener.NONE);
            assertArrayEquals(reference.tokenIds(), r.tokenIds(), "max_new_tokens " + n);
        }
    }

    @Test
    void streamsOnlyAcceptedTokensAndReportsEachRound() {
        List<Integer> streamed = new ArrayList<>();
        int[] rounds = {0, 0, 0};
        GenerationConfig config = GenerationConfig.greedy(20, List.of());
        GenerationResult r = new SelfSpeculativeGenerator(llama3.model(), llama3.tokenizer(), 2, new DraftLength.Fixed(4))
                .generate(PROMPTS[0], config, new TokenListener() {
                    @Override
                    public void onToken(int tokenId, String textDelta) {
                        streamed.add(tokenId);
                    }

                    @Override
                    public void onDraft(int[] draftIds, int accepted) {
                        rounds[0]++;
                        rounds[1] += draftIds.length;
                        rounds[2] += accepted;
                    }
                });
        assertArrayEquals(r.tokenIds(), streamed.stream().mapToInt(Integer::intValue).toArray());
        assertEquals(r.stats().rounds(), rounds[0]);
        assertEquals(r.stats().drafted(), rounds[1]);
        assertEquals(r.stats().accepted(), rounds[2]);
        // every token after the first comes from a round: accepted drafts plus one per round
        assertEquals(r.tokenIds().length - 1, r.stats().accepted() + r.stats().rounds());
    }

    @Test
    void badSettingsNameTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new SelfSpeculativeGenerator(llama3.model(), null, 4, new DraftLength.Fixed(2)));
        assertTrue(e.getMessage().contains("exit layer 4 outside 1..3 for self-speculative decoding"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new SelfSpeculativeGenerator(llama3.model(), null, 0, new DraftLength.Fixed(2)));
        assertTrue(e.getMessage().contains("exit layer 0 outside 1..3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DraftLength.Fixed(0));
        assertTrue(e.getMessage().contains("num_speculations must be >= 1, got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DraftLength.Confident(4, 1.0));
        assertTrue(e.getMessage().contains("draft_confidence must be in (0, 1), got 1.0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DraftLength.Confident(4, 0));
        assertTrue(e.getMessage().contains("draft_confidence must be in (0, 1), got 0.0"), e.getMessage());
    }
}
