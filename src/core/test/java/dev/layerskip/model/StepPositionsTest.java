package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.LlamaConfigJson;

import org.junit.jupiter.api.Test;

import java.io.IOException;

/** What one pass shares about positions: the mask, built on the pass's device, and the cache's write indices. */
class StepPositionsTest {

    @Test
    void eachQuerySeesTheSlotsUpToItsOwnPosition() throws IOException {
        LlamaConfig config = LlamaConfigJson.read(TestCheckpoints.LLAMA3.getParent().resolve("tiny-llama3/config.json"));
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Rope rope = new Rope(m, config);
            int scratch = 10;
            // row 0: positions 4, 5, 6 all real; row 1: position 2 real, then two padding positions
            RowPositions rows = new RowPositions(3, new int[] {4, 2}, 3, new int[] {3, 1});
            StepPositions pass = new StepPositions(m, rope, rows, scratch);
            assertEquals(scratch + 1, pass.total, "padding attends up to the scratch slot");
            assertEquals(new Shape(2, 1, 1, 3, scratch + 1), pass.mask.getShape());
            int[][] visibleEnds = {{5, 6, 7}, {3, 1, 1}}; // padding queries see slot 0 only
            float[] mask = pass.mask.toFloatArray();
            for (int r = 0; r < 2; r++) {
                for (int i = 0; i < 3; i++) {
                    for (int k = 0; k <= scratch; k++) {
                        float expected = k < visibleEnds[r][i] ? 0f : -1e9f;
                        assertEquals(expected, mask[(r * 3 + i) * (scratch + 1) + k], 0f, "row " + r + " query " + i + " slot " + k);
                    }
                }
            }
            assertArrayEquals(new long[] {3, 3, 3, 4, 4, 4}, pass.writeLanes.toLongArray());
            assertArrayEquals(new long[] {4, 5, 6, 2, scratch, scratch}, pass.writeSlots.toLongArray());
            assertEquals(new Shape(2, 3, 1, config.headDim()), pass.ropeTables[0].getShape());

            // aligned rows: one [length, total] mask shared by the rows, query i seeing slots 0 .. 4+i
            StepPositions aligned = new StepPositions(m, rope, RowPositions.aligned(0, 2, 4, 3), scratch);
            assertEquals(new Shape(3, 7), aligned.mask.getShape());
            float[] causal = aligned.mask.toFloatArray();
            for (int i = 0; i < 3; i++) {
                for (int k = 0; k < 7; k++) {
                    assertEquals(k <= 4 + i ? 0f : -1e9f, causal[i * 7 + k], 0f, "aligned query " + i + " slot " + k);
                }
            }
        }
    }
}
