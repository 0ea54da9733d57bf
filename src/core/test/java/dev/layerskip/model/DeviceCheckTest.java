package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.TestCheckpoints;

import org.junit.jupiter.api.Test;

import java.util.Optional;

/** A GPU the engine cannot use: one line naming what is missing, for each thing that can be missing. */
public class DeviceCheckTest {

    /** The message for gpu(0) on this build; the CLI and Criteria tests expect it too. */
    public static final String CPU_BUILD_GPU0 = dev.layerskip.TestCheckpoints.CPU_BUILD_GPU0;

    @Test
    void eachMissingPieceIsNamed() {
        assertEquals(Optional.of(CPU_BUILD_GPU0), DeviceCheck.problem(Device.gpu(), false, 0, "2.7.1"));
        assertEquals(Optional.of("device gpu(0) needs a visible NVIDIA GPU: PyTorch's CUDA build (PyTorch 2.7.1) sees"
                + " none (check nvidia-smi, the driver and CUDA_VISIBLE_DEVICES), or use the CPU (--device cpu)"),
                DeviceCheck.problem(Device.gpu(), true, 0, "2.7.1"));
        assertEquals(Optional.of("device gpu(2) is not there: PyTorch's CUDA build sees 2 GPUs (gpu(0) .. gpu(1))"),
                DeviceCheck.problem(Device.gpu(2), true, 2, "2.7.1"));
        assertEquals(Optional.of("device gpu(1) is not there: PyTorch's CUDA build sees 1 GPU (gpu(0))"),
                DeviceCheck.problem(Device.gpu(1), true, 1, "2.7.1"));
        assertEquals(Optional.empty(), DeviceCheck.problem(Device.gpu(1), true, 2, "2.7.1"));
        assertEquals(Optional.empty(), DeviceCheck.problem(Device.cpu(), false, 0, "2.7.1"));
    }

    @Test
    void thisCpuBuildRefusesTheGpuBeforeLoading() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeviceCheck.require(Device.gpu()));
        assertEquals(CPU_BUILD_GPU0, e.getMessage());
        DeviceCheck.require(Device.cpu()); // the CPU needs nothing
    }

    @Test
    void loadOptionsWithTheGpuFailWithTheSameLine() {
        for (LoadOptions options : new LoadOptions[] {new LoadOptions(Device.gpu(), DataType.FLOAT16),
                new LoadOptions(Device.gpu(), WeightPrecision.AUTO, WeightLayout.AUTO)}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> LoadedModel.load(TestCheckpoints.LLAMA3, options).close());
            assertEquals(CPU_BUILD_GPU0, e.getMessage());
        }
    }
}
