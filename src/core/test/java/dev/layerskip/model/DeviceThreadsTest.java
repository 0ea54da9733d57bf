package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;

import org.junit.jupiter.api.Test;

/** The host-thread choices as a pure function of device, hidden size, processors and batch limit. */
public class DeviceThreadsTest {

    /** What {@code --pipelined} on a GPU answers, exactly. */
    /** The refusal of --pipelined on gpu(0); the CLI test expects it too. */
    public static final String PIPELINED_ON_GPU0 = dev.layerskip.TestCheckpoints.PIPELINED_ON_GPU0;

    @Test
    void theCpuKeepsTheHiddenSizeRule() {
        // demo shape (H = 192): one kernel thread, one stepping thread per core, at most one per two sequences
        assertEquals(new DeviceThreads(1, 2, true), DeviceThreads.choose(Device.cpu(), 192, 2, 8, 0));
        assertEquals(new DeviceThreads(1, 4, true), DeviceThreads.choose(Device.cpu(), 192, 16, 8, 0));
        assertEquals(new DeviceThreads(1, 1, true), DeviceThreads.choose(Device.cpu(), 192, 2, 1, 0));
        assertEquals(new DeviceThreads(1, 1, true), DeviceThreads.choose(Device.cpu(), 1023, 1, 64, 0));
        // 1B shape (H = 2048): the engine's default and one stepping thread
        assertEquals(new DeviceThreads(0, 1, true), DeviceThreads.choose(Device.cpu(), 1024, 2, 8, 0));
        assertEquals(new DeviceThreads(0, 1, true), DeviceThreads.choose(Device.cpu(), 2048, 16, 16, 0));
    }

    @Test
    void theCpuFollowsTheFixedThreadCount() {
        assertEquals(new DeviceThreads(1, 8, true), DeviceThreads.choose(Device.cpu(), 2048, 16, 16, 1));
        assertEquals(new DeviceThreads(4, 1, true), DeviceThreads.choose(Device.cpu(), 192, 16, 16, 4));
    }

    @Test
    void aGpuGetsNoThreadTuningOneSteppingThreadAndNoPipeline() {
        assertEquals(new DeviceThreads(0, 1, false), DeviceThreads.choose(Device.gpu(), 192, 2, 8, 0));
        assertEquals(new DeviceThreads(0, 1, false), DeviceThreads.choose(Device.gpu(), 2048, 16, 16, 0));
        assertEquals(new DeviceThreads(0, 1, false), DeviceThreads.choose(Device.gpu(3), 4096, 64, 1024, 0));
        // the property still fixes the kernel threads (host-side work), never the stepping threads
        assertEquals(new DeviceThreads(1, 1, false), DeviceThreads.choose(Device.gpu(), 192, 16, 16, 1));
        assertEquals(false, DeviceThreads.pipelineAllowedOn(Device.gpu(1)));
        assertEquals(true, DeviceThreads.pipelineAllowedOn(Device.cpu()));
    }

    @Test
    void askingForThePipelineOnAGpuIsOneLineNamingTheSetting() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeviceThreads.requirePipelineAllowed(Device.gpu(), Boolean.TRUE, "--pipelined"));
        assertEquals(PIPELINED_ON_GPU0, e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DeviceThreads.requirePipelineAllowed(Device.gpu(1), Boolean.TRUE, "speculative_pipeline"));
        assertEquals("speculative_pipeline (the two-thread self-speculative pipeline) is not available on device gpu(1):"
                + " its drafting and verifying threads would queue on one CUDA stream; drop speculative_pipeline to decode"
                + " in rounds", e.getMessage());
        // not asked for, asked against, or on the CPU: nothing to refuse
        DeviceThreads.requirePipelineAllowed(Device.gpu(), null, "--pipelined");
        DeviceThreads.requirePipelineAllowed(Device.gpu(), Boolean.FALSE, "--pipelined");
        DeviceThreads.requirePipelineAllowed(Device.cpu(), Boolean.TRUE, "--pipelined");
    }

    @Test
    void valuesOutOfRangeAreNamed() {
        assertEquals("steppingThreads must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> new DeviceThreads(0, 0, true)).getMessage());
        assertEquals("intraOpThreads must be >= 0 (0 = the engine's default), got -1",
                assertThrows(IllegalArgumentException.class, () -> new DeviceThreads(-1, 1, true)).getMessage());
        assertEquals("hiddenSize, processors and maxBatchSize must be >= 1 and fixedIntraOpThreads >= 0, got 192, 0, 8, 0",
                assertThrows(IllegalArgumentException.class, () -> DeviceThreads.choose(Device.cpu(), 192, 0, 8, 0))
                        .getMessage());
        assertEquals("device must not be null",
                assertThrows(IllegalArgumentException.class, () -> DeviceThreads.choose(null, 192, 2, 8, 0)).getMessage());
    }
}
