package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.checkpoint.SpeculationDefaults;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;

/**
 * The plan chosen from measured pass costs: exact choices on hand-made profiles, what the user and
 * {@code layerskip.json} fix is never recalibrated, and a calibrated plan decodes the full model's text.
 */
class PlanCalibrationTest {

    /** Overhead-bound (a small model on a CPU): verification of 9 positions costs little more than of 1, no contention. */
    private static final PassProfile SMALL = new PassProfile(9, 1.0, 0.2, 2.0, 2.4, 1.0, 1.0, 0);
    /** Bandwidth-bound (1B-like): the two threads of a pipeline slow each other down by 1.8x. */
    private static final PassProfile LARGE = new PassProfile(9, 15, 15, 55, 71, 1.8, 1.8, 0);

    @Test
    void overheadBoundModelsPipelineAtTheShortestDepthThatHidesVerification() {
        DecodingPlan.Estimate e = PlanCalibration.choose(SMALL, 1.0, null, null, 2);
        // pipeline, d=2: a token every max(draft 1.2, verify(2) 2.05 / 2) = 1.2 ms against a full step of 3 ms
        assertTrue(e.pipelined());
        assertEquals(2, e.numSpeculations());
        assertEquals(3.0 / 1.2, e.pipelineSpeedup(), 1e-12);
        // rounds, every draft accepted: the longest draft wins, 9 tokens for 8 drafts + one more [0, E) pass + verify(9)
        assertEquals(8, e.roundsDrafts());
        assertEquals(9 * 3.0 / (8 * 1.2 + 1.0 + 2.4), e.roundsSpeedup(), 1e-12);
        assertEquals(e.pipelineSpeedup(), e.predictedSpeedup());
    }

    @Test
    void oneProcessorOrAFixedScheduleMeansRounds() {
        DecodingPlan.Estimate one = PlanCalibration.choose(SMALL, 1.0, null, null, 1);
        assertFalse(one.pipelined());
        assertEquals(0.0, one.pipelineSpeedup());
        assertEquals(8, one.numSpeculations());
        DecodingPlan.Estimate fixed = PlanCalibration.choose(SMALL, 1.0, 3, Boolean.FALSE, 2);
        assertFalse(fixed.pipelined());
        assertEquals(3, fixed.numSpeculations());
        assertEquals(4 * 3.0 / (3 * 1.2 + 1.0 + 2.0 + 0.4 * 3 / 8), fixed.roundsSpeedup(), 1e-12);
    }

    @Test
    void bandwidthBoundModelsDecodeInRoundsAndAcceptanceSetsTheDraftLength() {
        DecodingPlan.Estimate sure = PlanCalibration.choose(LARGE, 1.0, null, null, 2);
        assertFalse(sure.pipelined(), "two threads streaming weights at once gain nothing: " + sure);
        assertEquals(8, sure.numSpeculations());
        DecodingPlan.Estimate never = PlanCalibration.choose(LARGE, 0.0, null, null, 2);
        assertEquals(1, never.numSpeculations()); // every draft rejected: the shortest round loses least
        assertTrue(never.roundsSpeedup() < 1, "a round that yields one token costs more than a step");
        DecodingPlan.Estimate usual = PlanCalibration.choose(LARGE, PlanCalibration.ASSUMED_ACCEPTANCE, null, null, 2);
        assertTrue(usual.numSpeculations() > 1 && usual.numSpeculations() < 8, usual.toString());
        assertEquals((1 - Math.pow(0.8, 4)) / 0.2, PlanCalibration.expectedTokens(0.8, 3), 1e-12);
        assertThrows(IllegalArgumentException.class, () -> PlanCalibration.choose(LARGE, 1.5, null, null, 2));
        assertThrows(IllegalArgumentException.class, () -> new PassProfile(1, 1, 1, 1, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new PassProfile(9, Double.NaN, 1, 1, 1, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new PassProfile(9, 1, 1, 1, 1, 0.5, 1, 0));
    }

    @Test
    void whatTheUserOrTheCheckpointFixesIsNotCalibrated() throws Exception {
        try (LoadedModel loaded = LoadedModel.load(TestCheckpoints.LLAMA3, LoadOptions.CPU_DEFAULTS)) {
            DecodingSettings fixed = new DecodingSettings(DecodingStrategy.SELF_SPECULATIVE, 2, 3, null, false, null, false);
            assertSame(fixed, PlanCalibration.plan(fixed, loaded.model(), Optional.empty(), null).settings());
            DecodingSettings open = DecodingSettings.of(DecodingStrategy.SELF_SPECULATIVE);
            DecodingPlan saved = PlanCalibration.plan(open, loaded.model(),
                    Optional.of(new SpeculationDefaults(2, 3, null, true)), null);
            assertNull(saved.estimate());
            DecodingSettings confident = DecodingSettings.parse(DecodingStrategy.SELF_SPECULATIVE, 2, 3, "0.5", "--draft-confidence");
            assertNull(PlanCalibration.plan(confident, loaded.model(), Optional.empty(), null).estimate());
            DecodingSettings ar = DecodingSettings.of(DecodingStrategy.AUTOREGRESSIVE);
            assertNull(PlanCalibration.plan(ar, loaded.model(), Optional.empty(), null).estimate());
            // layerskip.json with E and d but no schedule: only rounds or the pipeline is chosen
            DecodingPlan schedule = PlanCalibration.plan(open, loaded.model(), Optional.of(new SpeculationDefaults(2, 3)), null);
            assertNotNull(schedule.estimate());
            assertEquals(3, schedule.settings().numSpeculations());
            assertNotNull(schedule.settings().pipelined());
        }
    }

    @Test
    void aCalibratedPlanDecodesTheFullModelsText() throws Exception {
        try (LoadedModel loaded = LoadedModel.load(TestCheckpoints.LLAMA3, LoadOptions.CPU_DEFAULTS)) {
            DecodingPlan plan = PlanCalibration.plan(DecodingSettings.of(DecodingStrategy.SELF_SPECULATIVE), loaded.model(),
                    Optional.empty(), null);
            DecodingPlan.Estimate e = plan.estimate();
            assertNotNull(e);
            PassProfile c = e.costs();
            assertTrue(c.fullStepMs() > 0 && c.draftStepMs() > 0 && c.upper(c.rows()) > 0, c.toString());
            assertTrue(c.calibrationMs() < 5_000, "calibration took " + c.calibrationMs() + " ms");
            int d = plan.settings().numSpeculations();
            assertTrue(d >= 1 && d <= PlanCalibration.MAX_DRAFTS, "d = " + d);
            assertEquals(e.pipelined(), plan.settings().pipelined());
            Generator planned = plan.settings().build(loaded.model(), loaded.tokenizer(), Optional.empty());
            assertEquals(e.pipelined(), ((SelfSpeculativeGenerator) planned).pipelined());
            assertEquals(d, ((SelfSpeculativeGenerator) planned).draftLength().max());
            int[] prompt = {1, 298, 296, 297, 36};
            GenerationConfig greedy = GenerationConfig.greedy(16, List.of());
            int[] full = new AutoregressiveGenerator(loaded.model(), loaded.tokenizer(), loaded.model().numLayers())
                    .generate(prompt, greedy, TokenListener.NONE).tokenIds();
            assertArrayEquals(full, planned.generate(prompt, greedy, TokenListener.NONE).tokenIds());
        }
    }
}
