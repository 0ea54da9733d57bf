package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;

import dev.layerskip.checkpoint.SpeculationDefaults;
import dev.layerskip.generate.PlanCalibration.ScheduleChoice;

import org.junit.jupiter.api.Test;

import java.util.Optional;

/** Who fixes rounds or the pipeline, as a pure function of the settings, the checkpoint and the device. */
class PlanScheduleTest {

    private static final DecodingSettings OPEN = DecodingSettings.of(DecodingStrategy.SELF_SPECULATIVE);
    private static final Optional<SpeculationDefaults> SAVED_PIPELINE = Optional.of(new SpeculationDefaults(4, 3, null, true));
    private static final Optional<SpeculationDefaults> SAVED_ROUNDS = Optional.of(new SpeculationDefaults(4, 3, null, null));

    @Test
    void onTheCpuTheSettingsThenTheCheckpointDecide() {
        assertEquals(new ScheduleChoice(null, PlanNote.NONE), PlanCalibration.schedule(OPEN, Optional.empty(), Device.cpu()));
        assertEquals(new ScheduleChoice(true, PlanNote.NONE), PlanCalibration.schedule(OPEN, SAVED_PIPELINE, Device.cpu()));
        assertEquals(new ScheduleChoice(null, PlanNote.NONE), PlanCalibration.schedule(OPEN, SAVED_ROUNDS, Device.cpu()));
        assertEquals(new ScheduleChoice(false, PlanNote.NONE),
                PlanCalibration.schedule(OPEN.withPipeline(false), SAVED_PIPELINE, Device.cpu()));
        assertEquals(new ScheduleChoice(true, PlanNote.NONE),
                PlanCalibration.schedule(OPEN.withPipeline(true), Optional.empty(), Device.cpu()));
        DecodingSettings confident = DecodingSettings.parse(DecodingStrategy.SELF_SPECULATIVE, 4, 3, "0.5", "--draft-confidence");
        assertEquals(new ScheduleChoice(false, PlanNote.NONE), PlanCalibration.schedule(confident, SAVED_PIPELINE, Device.cpu()));
    }

    @Test
    void aGpuModelGetsRoundsAndThePlanSaysSo() {
        assertEquals(new ScheduleChoice(false, PlanNote.ROUNDS_ON_GPU),
                PlanCalibration.schedule(OPEN, SAVED_PIPELINE, Device.gpu()));
        assertEquals(new ScheduleChoice(false, PlanNote.ROUNDS_ON_GPU),
                PlanCalibration.schedule(OPEN, Optional.empty(), Device.gpu()));
        assertEquals(new ScheduleChoice(false, PlanNote.ROUNDS_ON_GPU),
                PlanCalibration.schedule(OPEN, SAVED_ROUNDS, Device.gpu(1)));
        assertEquals("rounds on a GPU: the two-thread pipeline is off there (its drafting and verifying threads would queue"
                + " on one CUDA stream)", PlanNote.ROUNDS_ON_GPU.text());
        // rounds already fixed by the user or by a draft confidence: nothing for the device to say
        assertEquals(new ScheduleChoice(false, PlanNote.NONE),
                PlanCalibration.schedule(OPEN.withPipeline(false), SAVED_PIPELINE, Device.gpu()));
        DecodingSettings adaptive = DecodingSettings.parse(DecodingStrategy.SELF_SPECULATIVE, 4, 3, "auto", "--draft-confidence");
        assertEquals(new ScheduleChoice(false, PlanNote.NONE), PlanCalibration.schedule(adaptive, SAVED_PIPELINE, Device.gpu()));
    }

    @Test
    void thePipelineAskedForOnAGpuIsRefusedNamingTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PlanCalibration.schedule(OPEN.withPipeline(true), Optional.empty(), Device.gpu()));
        assertEquals("speculative_pipeline/--pipelined (the two-thread self-speculative pipeline) is not available on"
                + " device gpu(0): its drafting and verifying threads would queue on one CUDA stream; drop"
                + " speculative_pipeline/--pipelined to decode in rounds", e.getMessage());
    }

    @Test
    void aNoteAlwaysComesWithRounds() {
        assertEquals("ROUNDS_ON_GPU fixes rounds (fixedPipeline false), got null",
                assertThrows(IllegalArgumentException.class, () -> new ScheduleChoice(null, PlanNote.ROUNDS_ON_GPU)).getMessage());
        assertEquals("note must not be null (PlanNote.NONE for none)",
                assertThrows(IllegalArgumentException.class, () -> new ScheduleChoice(true, null)).getMessage());
        assertEquals("note must not be null (PlanNote.NONE for none)",
                assertThrows(IllegalArgumentException.class, () -> new DecodingPlan(OPEN, null, null)).getMessage());
        assertEquals(PlanNote.NONE, new DecodingPlan(OPEN, null).note());
    }
}
