package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import dev.layerskip.model.DraftHead;
import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * A draft vocabulary changes only what is proposed: greedy self-speculative output equals
 * autoregressive decoding for every exit, draft length and vocabulary, also when the full model's
 * tokens lie outside it (every draft then is rejected and every token is a correction), in every
 * weight type and layout (tied heads and untied ones, whose packed head keeps plain rows).
 */
class DraftVocabularyTest {

    private static final int[][] PROMPTS = SelfSpeculativeTest.PROMPTS;
    private static final int NEW_TOKENS = 20;

    private static LoadedModel load(String name, String dtype, String layout) throws IOException {
        return WeightLayoutGenerationTest.load(name, dtype, layout);
    }

    /** The first n ids, ascending, that are not in the excluded set. */
    private static int[] without(int vocab, int[] excluded, int n) {
        TreeSet<Integer> out = new TreeSet<>();
        for (int id = 0; id < vocab && out.size() < n; id++) {
            final int t = id;
            if (Arrays.stream(excluded).noneMatch(x -> x == t)) {
                out.add(id);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The given ids plus the first ids of the vocabulary, n in all, ascending. */
    private static int[] with(int[] included, int n) {
        TreeSet<Integer> out = new TreeSet<>();
        Arrays.stream(included).forEach(out::add);
        for (int id = 0; out.size() < n; id++) {
            out.add(id);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @ParameterizedTest
    @CsvSource({"llama3, float32, PLAIN", "llama2, float32, PLAIN", "llama3, float32, PACKED", "llama2, float32, PACKED",
        "llama3, bfloat16, PACKED", "llama2, bfloat16, PACKED", "llama2, bfloat16, PLAIN", "llama3, int8, INT8",
        "llama2, int8, INT8"})
    void greedyOutputEqualsAutoregressiveWhateverTheDraftVocabulary(String name, String dtype, String layout) throws IOException {
        try (LoadedModel m = load(name, dtype, layout)) {
            int layers = m.model().numLayers();
            int v = m.model().config().vocabSize();
            GenerationConfig config = GenerationConfig.greedy(NEW_TOKENS, List.of());
            int outsideRounds = 0;
            int acceptedInside = 0;
            for (int[] prompt : PROMPTS) {
                int[] reference = new AutoregressiveGenerator(m.model(), null, layers).generate(prompt, config, TokenListener.NONE).tokenIds();
                // Vocabularies that leave out every token the full model emits (1, 7 and 150 ids), and ones that hold them all.
                List<int[]> vocabularies = List.of(without(v, reference, 1), without(v, reference, 7), without(v, reference, 150),
                        with(reference, reference.length + 5), with(reference, 200));
                for (int[] ids : vocabularies) {
                    boolean excludes = Arrays.stream(reference).noneMatch(t -> Arrays.binarySearch(ids, t) >= 0);
                    DraftScorer drafter = DraftScorer.restricted(m.model(), ids);
                    for (int e = 1; e < layers; e++) {
                        for (int d : new int[] {1, 3, 8}) {
                            int[] outside = {0};
                            GenerationResult r = new SelfSpeculativeGenerator(m.model(), null, e, new DraftLength.Fixed(d), drafter)
                                    .generate(prompt, config, new TokenListener() {
                                        @Override
                                        public void onToken(int tokenId, String textDelta) {}

                                        @Override
                                        public void onDraft(int[] draftIds, int accepted) {
                                            for (int t : draftIds) {
                                                assertTrue(Arrays.binarySearch(ids, t) >= 0, "draft " + t + " outside the draft vocabulary");
                                            }
                                        }
                                    });
                            String where = name + " " + dtype + " " + layout + " N=" + ids.length + " E=" + e + " d=" + d;
                            assertArrayEquals(reference, r.tokenIds(), where);
                            if (excludes) {
                                assertEquals(0, r.stats().accepted(), where + ": no draft can be the full model's token");
                                outside[0]++;
                            } else {
                                acceptedInside += r.stats().accepted();
                            }
                            outsideRounds += outside[0];
                        }
                    }
                }
            }
            assertTrue(outsideRounds > 0 && acceptedInside > 0, "both kinds of vocabulary must be exercised");
        }
    }

    @ParameterizedTest
    @CsvSource({"llama3, float32, PLAIN, 1e-5", "llama2, float32, PACKED, 1e-4", "llama2, bfloat16, PACKED, 0.05",
        "llama3, int8, INT8, 1e-6", "llama2, int8, INT8, 1e-6"})
    void draftLogitsAreTheFullHeadsLogitsOfTheDraftTokens(String name, String dtype, String layout, double tolerance)
            throws IOException {
        try (LoadedModel m = load(name, dtype, layout); NDManager manager = m.manager().newSubManager()) {
            InferenceMode.enterOnThisThread();
            int v = m.model().config().vocabSize();
            int[] ids = {0, 2, 3, 57, 120, 298, v - 1};
            DraftHead head = DraftHead.of(m.model(), ids);
            assertTrue(head == DraftHead.of(m.model(), ids.clone()), "built once per model and id set");
            assertEquals(7, head.size());
            assertEquals(298, head.tokenId(5));
            NDArray x = m.model().forwardLayers(m.model().embed(manager.create(PROMPTS[0]).reshape(1, 5)), 0, 2, null, 0);
            float[] full = m.model().exitHead(x).toFloatArray(); // [5·V]
            float[] draft = head.logits(x).toFloatArray(); // [5·7]
            for (int t = 0; t < 5; t++) {
                for (int j = 0; j < ids.length; j++) {
                    float expected = full[t * v + ids[j]];
                    assertEquals(expected, draft[t * ids.length + j], tolerance * Math.max(1, Math.abs(expected)), "position " + t + " id " + ids[j]);
                }
            }
            float[] spread = head.toVocabulary(Arrays.copyOfRange(draft, 0, ids.length));
            assertEquals(v, spread.length);
            assertEquals(draft[3], spread[57]);
            assertEquals(Float.NEGATIVE_INFINITY, spread[1]);
            assertEquals(7, IntStream.range(0, v).filter(i -> spread[i] != Float.NEGATIVE_INFINITY).count());
        }
    }

    @org.junit.jupiter.api.Test
    void aDraftVocabularyThatRepetitionControlBansEntirelyStillSamplesFromTheFullModel() throws IOException {
        try (LoadedModel m = load("llama3", "float32", "PLAIN")) {
            // The prompt holds the pair (36, 7) and ends with 36: no_repeat_ngram_size 2 bans 7, the draft's only token.
            int[] prompt = {1, 36, 7, 298, 36};
            RepetitionControl control = RepetitionControl.of(1, 2);
            DraftScorer drafter = DraftScorer.restricted(m.model(), new int[] {7});
            float[] row = drafter.head().orElseThrow().toVocabulary(new float[] {3f});
            new RepetitionProcessor(control, prompt).apply(row);
            double[] q = drafter.distribution(new Sampler(new SamplingConfig(1.0, 0, 1.0, 0)), row);
            assertEquals(1.0, q[7], 0.0);
            for (int seed = 0; seed < 20; seed++) {
                GenerationConfig config = new GenerationConfig(6, new SamplingConfig(1.0, 0, 1.0, seed), List.of(), List.of())
                        .withRepetition(control);
                GenerationResult r = new SelfSpeculativeGenerator(m.model(), null, 1, new DraftLength.Fixed(3), drafter)
                        .generate(prompt, config, TokenListener.NONE);
                int[] all = IntStream.concat(Arrays.stream(prompt), Arrays.stream(r.tokenIds())).toArray();
                for (int i = prompt.length - 1; i + 1 < all.length; i++) {
                    for (int j = 0; j + 1 < i; j++) {
                        assertTrue(!(all[j] == all[i] && all[j + 1] == all[i + 1]), "repeated pair at " + i + " seed " + seed);
                    }
                }
                assertEquals(6, r.tokenIds().length);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"llama3", "llama2"})
    void badIdSetsAreRefusedWithTheValue(String name) throws IOException {
        try (LoadedModel m = load(name, "float32", "PLAIN")) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> DraftHead.of(m.model(), new int[0]))
                    .getMessage().contains("needs 1..300 ids, got 0"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> DraftHead.of(m.model(), new int[] {4, 300}))
                    .getMessage().contains("id 300 is outside 0..299"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> DraftHead.of(m.model(), new int[] {-1, 4}))
                    .getMessage().contains("id -1 is outside 0..299"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> DraftHead.of(m.model(), new int[] {4, 4}))
                    .getMessage().contains("distinct and ascending, got 4 before 4"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> DraftHead.of(m.model(), new int[] {9, 4}))
                    .getMessage().contains("got 9 before 4"));
        }
    }
}
