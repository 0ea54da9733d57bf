package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Int8 weights (issue 21): symmetric per-channel quantization within [-64, 64], products equal to the dequantized
 * product up to each row's own 8-bit rounding, rows independent of each other bit for bit (what keeps
 * self-speculation lossless), and refusals that name the tensor.
 */
class Int8WeightsTest {

    private static Projection projection(NDList q, long in) {
        return new Int8Projection(() -> q.get(0), () -> q.get(1), in);
    }

    @Test
    void weightsQuantizeSymmetricallyPerOutputChannelWithinSixtyFour() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            JniUtils.setGradMode(false);
            NDArray w = m.randomNormal(0, 0.05f, new Shape(40, 24), DataType.FLOAT32); // [out, in]
            w.set(new ai.djl.ndarray.index.NDIndex("7, :"), 0f); // a zero row
            NDArray[] qs = EngineOps.int8Rows(w, Int8Weights.QMAX); // [out, in] int8, [out]
            assertEquals(DataType.INT8, qs[0].getDataType());
            byte[] q = qs[0].toByteArray();
            float[] s = qs[1].toFloatArray();
            float[] v = w.toFloatArray();
            for (int r = 0; r < 40; r++) {
                float max = 0;
                int maxQ = 0;
                for (int c = 0; c < 24; c++) {
                    max = Math.max(max, Math.abs(v[r * 24 + c]));
                    maxQ = Math.max(maxQ, Math.abs(q[r * 24 + c]));
                    assertTrue(Math.abs(q[r * 24 + c] * s[r] - v[r * 24 + c]) <= s[r] / 2 * 1.0001f, "row " + r + " col " + c);
                }
                if (r == 7) {
                    assertEquals(1f, s[r], "a zero row gets scale 1");
                    assertEquals(0, maxQ);
                } else {
                    assertEquals(max / 64f, s[r], max * 1e-6f, "row " + r);
                    assertEquals(64, maxQ, "row " + r + " reaches the edge");
                }
            }
            NDList packed = Int8Weights.quantize(w, "w");
            float[] companion = packed.get(1).toFloatArray(); // [2, out]
            for (int r = 0; r < 40; r++) {
                int sum = 0;
                for (int c = 0; c < 24; c++) {
                    sum += q[r * 24 + c];
                }
                assertEquals(s[r], companion[r], "scale " + r);
                assertEquals(sum, companion[40 + r], "row sum " + r);
            }
        }
    }

    @Test
    void productsAreTheDequantizedProductUpToEachRowsEightBitRounding() {
        Random random = new Random(3);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            JniUtils.setGradMode(false);
            for (int c = 0; c < 12; c++) {
                int in = new int[] {16, 64, 200}[c % 3];
                int out = new int[] {8, 96, 33}[random.nextInt(3)];
                int rows = 1 + random.nextInt(40);
                NDArray w = m.randomNormal(0, 0.05f, new Shape(out, in), DataType.FLOAT32); // [out, in]
                NDList q = Int8Weights.quantize(w, "w");
                NDArray[] qs = EngineOps.int8Rows(w, Int8Weights.QMAX);
                NDArray deq = qs[0].toType(DataType.FLOAT32, false).mul(qs[1].reshape(-1, 1)); // [out, in]
                NDArray magnitudes = m.randomUniform(-3, 3, new Shape(1, rows, 1)).exp(); // [1, rows, 1]
                NDArray x = m.randomNormal(new Shape(1, rows, in)).mul(magnitudes); // [1, rows, in]
                NDArray y = projection(q, in).apply(x); // [1, rows, out]
                assertEquals(new Shape(1, rows, out), y.getShape());
                NDArray reference = ai.djl.nn.core.Linear.linear(x, deq).singletonOrThrow(); // [1, rows, out]
                // Each row is rounded to 8 bits over its own maximum: error ≤ Σ_k |deq[o, k]| · max_r / 255 (half a step).
                NDArray rowMax = x.abs().max(new int[] {2}, true); // [1, rows, 1]
                NDArray bound = rowMax.div(255f).mul(deq.abs().sum(new int[] {1}).reshape(1, 1, out)).mul(1.001f).add(1e-5f);
                NDArray excess = y.sub(reference).abs().sub(bound); // [1, rows, out]
                assertTrue(excess.max().getFloat() <= 0, "case " + c + " (" + rows + "x" + in + " -> " + out + "): exceeds by "
                        + excess.max().getFloat());
            }
        }
    }

    @Test
    void eachRowIsIndependentOfTheOtherRowsBitForBit() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            JniUtils.setGradMode(false);
            NDArray w = m.randomNormal(0, 0.05f, new Shape(96, 64), DataType.FLOAT32); // [out, in]
            Projection p = projection(Int8Weights.quantize(w, "w"), 64);
            assertEquals(new Shape(96, 64), p.shape());
            for (int rows : new int[] {2, 5, 9, 33}) {
                NDArray magnitudes = m.randomUniform(-6, 6, new Shape(1, rows, 1)).exp(); // [1, rows, 1]: 1e-3 .. 4e2
                NDArray x = m.randomNormal(new Shape(1, rows, 64)).mul(magnitudes); // [1, rows, in]
                float[] together = p.apply(x).toFloatArray(); // [rows·out]
                List<NDArray> alone = new ArrayList<>();
                for (int r = 0; r < rows; r++) {
                    alone.add(p.apply(x.get(":, " + r + ":" + (r + 1) + ", :"))); // [1, 1, out]
                }
                assertArrayEquals(NDArrays.concat(new NDList(alone), 1).toFloatArray(), together, rows + " rows");
            }
        }
    }

    @Test
    void nonFiniteOrUnderflowingWeightsAreRefusedNamingTheTensorAndZerosQuantizeExactly() {
        Random random = new Random(5);
        float[] damage = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            for (int c = 0; c < 9; c++) {
                int out = 1 + random.nextInt(c < 3 ? 5000 : 64); // the first cases span several chunks of 4096 rows
                int in = 1 + random.nextInt(48);
                float[] values = new float[out * in];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) random.nextGaussian();
                }
                int damaged = random.nextInt(values.length);
                values[damaged] = damage[c % 3];
                NDArray w = m.create(values, new Shape(out, in)); // [out, in]
                String name = "model.layers." + c + ".mlp.down_proj.weight";
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Int8Weights.quantize(w, name));
                assertEquals(name + ": row " + damaged / in + " holds a non-finite value; it cannot be quantized to int8",
                        e.getMessage());
            }
            NDArray tiny = m.randomNormal(new Shape(4100, 8)); // [out, in], two chunks
            tiny.set(new ai.djl.ndarray.index.NDIndex("4099, :"), 1e-39f); // max / 64 is below float32's smallest normal
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Int8Weights.quantize(tiny, "lm_head.weight"));
            assertEquals("lm_head.weight: row 4099 has values no larger than 1.0E-39, so its int8 scale would underflow float32",
                    e.getMessage());
            NDArray zeros = m.zeros(new Shape(4100, 8)); // [out, in]: zeros quantize exactly
            NDArray x = m.randomNormal(new Shape(1, 3, 8)); // [1, rows, in]
            assertEquals(0f, projection(Int8Weights.quantize(zeros, "zeros"), 8).apply(x).abs().max().getFloat());
        }
    }

    @Test
    void quantizingInChunksGivesTheScalesOfOneChunk() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            JniUtils.setGradMode(false);
            NDArray w = m.randomNormal(0, 0.05f, new Shape(9000, 8), DataType.FLOAT32); // [out, in], three chunks
            NDArray[] whole = EngineOps.int8Rows(w, Int8Weights.QMAX);
            NDList chunked = Int8Weights.quantize(w, "w");
            assertArrayEquals(whole[1].toFloatArray(), chunked.get(1).get("0, :").toFloatArray());
        }
    }
}
