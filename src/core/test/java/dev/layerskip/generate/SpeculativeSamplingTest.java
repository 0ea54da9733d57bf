package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Self-speculative sampling keeps the full model's distribution: over 6,000 seeded draws of three
 * tokens, the empirical joint distribution matches the exact autoregressive one (chi-square), and
 * the cache always holds exactly the accepted positions.
 */
class SpeculativeSamplingTest {

    private static final int[] PROMPT = {1, 298, 296, 297, 36};
    private static final int DRAWS = 6000;

    @Test
    void jointDistributionOfThreeTokensMatchesAutoregressive() throws IOException {
        assertJointMatches(RepetitionControl.NONE, false);
    }

    @Test
    void penalisedJointDistributionMatchesPenalisedAutoregressive() throws IOException {
        // every control at once; the draft's q and the verifier's p see the drafts before their position.
        // Drafting from layer L-1 makes drafts both accepted and rejected often, so a verification row
        // penalised with the wrong context would show (it does: a row-0 context with the draft fails).
        assertJointMatches(new RepetitionControl(1.5, 2, 0.4, 0.3), true);
    }

    @Test
    void restrictedDraftVocabularyKeepsTheFullDistribution() throws IOException {
        // The draft scores every token but the full model's two likeliest first tokens: q is zero there,
        // so those tokens can only come from the residual max(0, p - q) after a rejection. They must
        // still appear exactly as often as the full model draws them.
        assertJointMatches(RepetitionControl.NONE, false, true);
    }

    @Test
    void smallDraftVocabularyWithRepetitionControlKeepsTheFullDistribution() throws IOException {
        assertJointMatches(new RepetitionControl(1.5, 2, 0.4, 0.3), true, true);
    }

    private static void assertJointMatches(RepetitionControl control, boolean deepDraft) throws IOException {
        assertJointMatches(control, deepDraft, false);
    }

    private static void assertJointMatches(RepetitionControl control, boolean deepDraft, boolean restricted) throws IOException {
        try (LoadedModel m = LoadedModel.load(TestCheckpoints.LLAMA3, TestCheckpoints.float32())) {
            SamplingConfig shape = new SamplingConfig(1.0, 3, 1.0, 0);
            Map<String, Double> exact = exactJoint(m, shape, control);
            if (control.isActive()) {
                assertTrue(!exact.equals(exactJoint(m, shape, RepetitionControl.NONE)), "the penalty must change the distribution");
            }
            Map<String, Integer> counts = new HashMap<>();
            int exit = deepDraft ? m.model().numLayers() - 1 : 1;
            int[] excluded = {};
            DraftScorer drafter = DraftScorer.full(m.model());
            if (restricted) {
                excluded = likeliestFirstTokens(m, 2);
                int[] leftOut = excluded;
                // deep drafts: a small vocabulary (40 ids) without those two; else every other id
                int[] ids = java.util.stream.IntStream.range(0, m.model().config().vocabSize())
                        .filter(t -> t != leftOut[0] && t != leftOut[1]).limit(deepDraft ? 40 : Integer.MAX_VALUE).toArray();
                drafter = DraftScorer.restricted(m.model(), ids);
            }
            SelfSpeculativeGenerator spec = new SelfSpeculativeGenerator(m.model(), null, exit, new DraftLength.Fixed(2), drafter);
            int draftedExcluded = 0;
            int rejections = 0;
            int acceptances = 0;
            for (int seed = 0; seed < DRAWS; seed++) {
                GenerationConfig config = new GenerationConfig(3, new SamplingConfig(1.0, 3, 1.0, seed), List.of(), List.of())
                        .withRepetition(control);
                int[] bad = {0};
                int[] leftOut = excluded;
                GenerationResult r = spec.generate(PROMPT, config, new TokenListener() {
                    @Override
                    public void onToken(int tokenId, String textDelta) {}

                    @Override
                    public void onDraft(int[] draftIds, int accepted) {
                        for (int t : draftIds) {
                            bad[0] += java.util.Arrays.stream(leftOut).anyMatch(x -> x == t) ? 1 : 0;
                        }
                    }
                });
                draftedExcluded += bad[0];
                counts.merge(java.util.Arrays.toString(r.tokenIds()), 1, Integer::sum);
                rejections += r.stats().drafted() - r.stats().accepted();
                acceptances += r.stats().accepted();
            }
            if (deepDraft) {
                assertTrue(acceptances > DRAWS / 10, "the draft must agree often for the test to mean something: " + acceptances);
            }
            assertTrue(rejections > DRAWS / 10, "the draft must disagree often for the test to mean something: " + rejections);
            assertEquals(0, draftedExcluded, "a restricted draft never proposes a token outside its vocabulary");
            for (int t : excluded) {
                String prefix = "[" + t + ",";
                double expected = exact.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToDouble(Map.Entry::getValue).sum();
                long observed = counts.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToLong(Map.Entry::getValue).sum();
                assertTrue(expected > 0.05 && observed > 0, "token " + t + " outside the draft vocabulary: expected share "
                        + expected + ", drawn " + observed + " times");
            }
            double chi2 = 0;
            int cells = 0;
            for (Map.Entry<String, Double> e : exact.entrySet()) {
                double expected = e.getValue() * DRAWS;
                if (expected < 5) {
                    continue;
                }
                double observed = counts.getOrDefault(e.getKey(), 0);
                chi2 += (observed - expected) * (observed - expected) / expected;
                cells++;
            }
            for (String seen : counts.keySet()) {
                assertTrue(exact.containsKey(seen), "impossible sequence " + seen);
            }
            // 99.9th percentile of chi-square with cells-1 degrees of freedom (Wilson-Hilferty)
            double df = cells - 1;
            double z = 3.09;
            double critical = df * Math.pow(1 - 2 / (9 * df) + z * Math.sqrt(2 / (9 * df)), 3);
            assertTrue(cells >= 10, "cells " + cells);
            assertTrue(chi2 < critical, "chi2 " + chi2 + " over " + cells + " cells, critical " + critical);
        }
    }

    /** The n likeliest first tokens of the full model after the prompt. */
    private static int[] likeliestFirstTokens(LoadedModel m, int n) {
        InferenceMode.enterOnThisThread();
        try (NDManager manager = m.manager().newSubManager()) {
            float[] all = m.model().logits(manager.create(PROMPT).reshape(1, PROMPT.length), m.model().numLayers()).toFloatArray();
            int v = m.model().config().vocabSize();
            float[] last = java.util.Arrays.copyOfRange(all, (PROMPT.length - 1) * v, PROMPT.length * v);
            return java.util.stream.IntStream.range(0, v).boxed().sorted((a, b) -> Float.compare(last[b], last[a]))
                    .limit(n).mapToInt(Integer::intValue).sorted().toArray();
        }
    }

    /** P(t1, t2, t3) of the full model under the sampling shape and repetition control, from its exact distributions. */
    private static Map<String, Double> exactJoint(LoadedModel m, SamplingConfig shape, RepetitionControl control) {
        Map<String, Double> joint = new HashMap<>();
        Sampler sampler = new Sampler(shape);
        InferenceMode.enterOnThisThread();
        try (NDManager manager = m.manager().newSubManager()) {
            expand(m, manager, sampler, control, new ArrayList<>(), 1.0, joint);
        }
        return joint;
    }

    private static void expand(LoadedModel m, NDManager manager, Sampler sampler, RepetitionControl control,
            List<Integer> prefix, double prob, Map<String, Double> joint) {
        if (prefix.size() == 3) {
            joint.put(prefix.toString(), prob);
            return;
        }
        int[] seq = new int[PROMPT.length + prefix.size()];
        System.arraycopy(PROMPT, 0, seq, 0, PROMPT.length);
        for (int i = 0; i < prefix.size(); i++) {
            seq[PROMPT.length + i] = prefix.get(i);
        }
        float[] all = m.model().logits(manager.create(seq).reshape(1, seq.length), m.model().numLayers()).toFloatArray();
        int v = m.model().config().vocabSize();
        float[] last = java.util.Arrays.copyOfRange(all, (seq.length - 1) * v, seq.length * v);
        RepetitionProcessor penalties = new RepetitionProcessor(control, PROMPT);
        prefix.forEach(penalties::push);
        double[] p = sampler.distribution(penalties.apply(last));
        for (int t = 0; t < v; t++) {
            if (p[t] > 0) {
                List<Integer> next = new ArrayList<>(prefix);
                next.add(t);
                expand(m, manager, sampler, control, next, prob * p[t], joint);
            }
        }
    }

    @Test
    void cacheHoldsExactlyTheAcceptedPositionsAfterEveryRound() throws IOException {
        try (LoadedModel m = LoadedModel.load(TestCheckpoints.LLAMA3, TestCheckpoints.float32())) {
            List<Integer> lengths = new ArrayList<>();
            List<Integer> emitted = new ArrayList<>();
            int[] count = {0};
            SelfSpeculativeGenerator spec = new SelfSpeculativeGenerator(m.model(), null, 2, new DraftLength.Fixed(3))
                    .withCacheProbe(lengths::add);
            GenerationResult r = spec.generate(PROMPT, GenerationConfig.greedy(25, List.of()), new TokenListener() {
                @Override
                public void onToken(int tokenId, String textDelta) {
                    count[0]++;
                }

                @Override
                public void onDraft(int[] draftIds, int accepted) {
                    emitted.add(count[0] + accepted + 1); // tokens emitted once this round's tokens are out
                }
            });
            assertEquals(r.stats().rounds(), lengths.size());
            for (int i = 0; i < lengths.size(); i++) {
                // all emitted tokens but the newest are in the cache, after the prompt
                assertEquals(PROMPT.length + Math.min(emitted.get(i), 25) - 1, (int) lengths.get(i), "round " + i);
            }
            assertArrayEquals(new AutoregressiveGenerator(m.model(), null, 4)
                    .generate(PROMPT, GenerationConfig.greedy(25, List.of()), TokenListener.NONE).tokenIds(), r.tokenIds());
        }
    }
}
