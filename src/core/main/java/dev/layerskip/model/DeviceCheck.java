package dev.layerskip.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;

/**
 * Refuses a GPU device that the loaded PyTorch engine cannot use, before anything is allocated on it: the
 * CPU build (the default {@code pytorch-native-cpu}) has no CUDA kernels, and asking it for a CUDA tensor
 * otherwise ends in PyTorch's dispatcher listing of every backend.
 */
public final class DeviceCheck {

    private DeviceCheck() {}

    /**
     * @param device the device weights are to be loaded on
     * @throws IllegalArgumentException naming the device and what it needs, when the engine lacks CUDA or
     *     the GPU is not there
     */
    public static void require(Device device) {
        if (!device.isGpu()) {
            return;
        }
        Engine engine = Engine.getEngine("PyTorch");
        if (!engine.hasCapability(StandardCapabilities.CUDA)) {
            throw new IllegalArgumentException("device " + device + " needs PyTorch's CUDA build, and this engine is the"
                    + " CPU build (PyTorch " + engine.getVersion() + "): build with mvn -Pcuda (pytorch-native-cu128) on a"
                    + " machine with an NVIDIA GPU, or use the CPU (--device cpu)");
        }
        int gpus = engine.getGpuCount();
        if (device.getDeviceId() >= gpus) {
            throw new IllegalArgumentException("device " + device + " is not there: PyTorch's CUDA build sees " + gpus
                    + " GPU" + (gpus == 1 ? "" : "s"));
        }
    }
}
