package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.bench.RandomCheckpointWriter;
import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.MappedBytes;
import dev.layerskip.checkpoint.RopeScaling;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Loading holds the weights once: a 222 MB BF16 checkpoint (untied head, 8 layers of hidden 1024) loads
 * with the process's peak resident memory growing by the weights the model keeps plus a small margin, not
 * by a second copy (Java buffers, widened float32, mapped pages waiting for the GC), and no mapping of the
 * file is left once loading ends. Each load runs in a fresh JVM ({@link LoadMemoryProbe}).
 */
class LoadMemoryTest {

    /** An untied 111M-parameter shape: big enough that a second copy of its weights cannot hide in the margin. */
    static final LlamaConfig SHAPE = new LlamaConfig(1024, 2816, 8, 16, 8, 64, 1e-5, 10000, RopeScaling.NONE, false,
            8192, 2048, 1, List.of(2), "bfloat16");
    /** What loading may hold beyond the weights it keeps: the tensors at hand, RoPE tables, allocator slack. */
    static final long MARGIN_KIB = 96 * 1024;
    private static final long NORMS = (2L * SHAPE.numLayers() + 1) * SHAPE.hiddenSize();

    @TempDir static Path dir;

    @BeforeAll
    static void write() throws IOException {
        RandomCheckpointWriter.write(dir.resolve("ckpt"), SHAPE, Integer.MAX_VALUE, 7);
    }

    @Test
    void bf16PackedLoadHoldsTheWeightsOnce() throws Exception {
        assertTrue(MappedBytes.unmapsOnClose());
        dev.layerskip.TestCheckpoints.assumePackable(ai.djl.ndarray.types.DataType.BFLOAT16, WeightLayout.PACKED);
        // packed untied: the parameters (222 MB; norms stay float32) but the embedding (17 MB), whose rows are read
        // from the file when looked up, as the draft heads' rows are
        assertHoldsOnce("bfloat16", "packed", 2L * SHAPE.parameterCount() + 2 * NORMS - 2L * 8192 * 1024);
    }

    @Test
    void float32PackedLoadHoldsTheWeightsOnceAndNoTableItOnlyLooksUp() throws Exception {
        assertHoldsOnce("float32", "packed", 4L * SHAPE.parameterCount() - 4L * 8192 * 1024);
    }

    @Test
    void widenedLoadHoldsOnlyTheFloat32Weights() throws Exception {
        assertHoldsOnce("float32", "plain", 4L * SHAPE.parameterCount());
    }

    @Test
    void int8LoadQuantizesStraightFromTheMappingHoldingOnlyTheInt8Weights() throws Exception {
        assertTrue(MappedBytes.unmapsOnClose());
        long h = SHAPE.hiddenSize();
        long v = SHAPE.vocabSize();
        long q = (long) SHAPE.numHeads() * SHAPE.headDim();
        long kv = (long) SHAPE.numKvHeads() * SHAPE.headDim();
        long i = SHAPE.intermediateSize();
        long layer = int8Projection(q + 2 * kv, h) + int8Projection(h, q) + int8Projection(2 * i, h) + int8Projection(h, i);
        // the head packed for FBGEMM with its companion; no rows of the embedding or the head (looked up from the file)
        long tables = v * h + 8 * v;
        assertHoldsOnce("int8", "auto", SHAPE.numLayers() * layer + tables + 4 * NORMS);
    }

    /** An int8 projection's bytes: one byte per weight, a [2, out] float32 companion (scales, row sums). */
    private static long int8Projection(long out, long in) {
        return out * in + 8 * out;
    }

    private static void assertHoldsOnce(String dtype, String layout, long expectedBytes) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), LoadMemoryProbe.class.getName(),
                dir.resolve("ckpt").toString(), dtype, layout).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the probe did not finish");
        assertEquals(0, p.exitValue(), "the probe failed: " + out);
        String[] last = out.substring(out.lastIndexOf('\n') + 1).split(" ");
        long growthKiB = Long.parseLong(last[0]);
        long bytes = Long.parseLong(last[1]);
        assertEquals(expectedBytes, bytes, "bytes of weights held");
        assertEquals("false", last[2], "a mapping of the checkpoint is still open after loading");
        assertTrue(growthKiB <= bytes / 1024 + MARGIN_KIB, "peak resident memory grew by " + growthKiB
                + " KiB while loading " + bytes / 1024 + " KiB of weights (" + dtype + ", " + layout + ")");
    }
}
