package dev.layerskip.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.engine.StandardCapabilities;
import ai.djl.pytorch.jni.LibUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Refuses a GPU device that the loaded PyTorch engine cannot use, before anything is allocated on it: the
 * CPU build (the default {@code pytorch-native-cpu}) has no CUDA kernels, and asking it for a CUDA tensor
 * otherwise ends in PyTorch's dispatcher listing of every backend; a CUDA build on a machine whose GPU is not
 * visible fails later in the CUDA runtime. Each case is one line naming what is missing.
 */
public final class DeviceCheck {

    /** The Maven coordinates of the CUDA native library the {@code cuda} profile selects (DJL 0.36). */
    public static final String CUDA_ARTIFACT = "ai.djl.pytorch:pytorch-native-cu128:2.7.1:linux-x86_64";

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
        boolean cudaLibrary = Files.isRegularFile(Path.of(LibUtils.getLibtorchPath()).resolve("libtorch_cuda.so"));
        boolean cudaAvailable = engine.hasCapability(StandardCapabilities.CUDA);
        int gpus = cudaAvailable ? engine.getGpuCount() : 0;
        Optional<String> problem = problem(device, cudaLibrary, gpus, engine.getVersion());
        if (problem.isPresent()) {
            throw new IllegalArgumentException(problem.get());
        }
    }

    /**
     * What keeps a device from being used, from what the engine reports (no engine call: testable anywhere).
     *
     * @param device the requested device
     * @param cudaLibrary whether the loaded native library is PyTorch's CUDA build ({@code libtorch_cuda.so})
     * @param visibleGpus the GPUs that build sees (0 when CUDA is not available to it)
     * @param version the PyTorch version of the native library
     * @return the one-line reason, or empty when the device can be used
     */
    static Optional<String> problem(Device device, boolean cudaLibrary, int visibleGpus, String version) {
        if (!device.isGpu()) {
            return Optional.empty();
        }
        if (!cudaLibrary) {
            return Optional.of("device " + device + " needs PyTorch's CUDA build, and this engine is the CPU build"
                    + " (PyTorch " + version + ", pytorch-native-cpu): build with mvn -Pcuda (CUDA native library "
                    + CUDA_ARTIFACT + ") and run on a machine with an NVIDIA GPU, or use the CPU (--device cpu)");
        }
        if (visibleGpus == 0) {
            return Optional.of("device " + device + " needs a visible NVIDIA GPU: PyTorch's CUDA build (PyTorch " + version
                    + ") sees none (check nvidia-smi, the driver and CUDA_VISIBLE_DEVICES), or use the CPU (--device cpu)");
        }
        if (device.getDeviceId() >= visibleGpus) {
            return Optional.of("device " + device + " is not there: PyTorch's CUDA build sees " + visibleGpus + " GPU"
                    + (visibleGpus == 1 ? " (gpu(0))" : "s (gpu(0) .. gpu(" + (visibleGpus - 1) + "))"));
        }
        return Optional.empty();
    }
}
