package dev.layerskip.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.generate.NativeMemoryTestSupport;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads one checkpoint in a fresh JVM and prints {@code growthKiB weightBytes mappingsLeft}: the growth of
 * the peak resident memory over the load, the bytes of weights the model holds, and whether a mapping of
 * the checkpoint is still open afterwards. Run by {@link LoadMemoryTest} in a child process, since memory
 * that earlier tests freed stays with the allocator and would hide a second copy.
 */
public final class LoadMemoryProbe {

    private LoadMemoryProbe() {}

    /**
     * @param args {@code DIR float32|bfloat16|int8 plain|packed|auto}
     * @throws Exception if loading fails
     */
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        LoadOptions options = args[1].equals("int8")
                ? new LoadOptions(Device.cpu(), WeightPrecision.INT8, WeightLayout.AUTO)
                : new LoadOptions(Device.cpu(), args[1].equals("bfloat16") ? DataType.BFLOAT16 : DataType.FLOAT32,
                        WeightLayout.valueOf(args[2].toUpperCase(java.util.Locale.ROOT)));
        try (NDManager probe = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            EngineOps.pack(probe.ones(new Shape(16, 16))); // the engine and its helper are loaded
            EngineOps.toBf16(probe.ones(new Shape(16, 16)));
            if (args[1].equals("int8")) {
                Int8Weights.requireSupported(Device.cpu()); // FBGEMM is loaded
            }
        }
        System.gc();
        long before = NativeMemoryTestSupport.residentKiB();
        Files.writeString(Path.of("/proc/self/clear_refs"), "5"); // resets the peak (VmHWM) to the current RSS
        try (LoadedModel m = LoadedModel.load(dir, options)) {
            long peak = NativeMemoryTestSupport.peakResidentKiB();
            boolean mapped = Files.readString(Path.of("/proc/self/maps")).contains(dir.toAbsolutePath().toString());
            System.out.println((peak - before) + " " + m.model().weightBytes() + " " + mapped);
        }
    }
}
