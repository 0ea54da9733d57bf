package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplerTest {

    private static final float[] LOGITS = {1f, 3f, 2f, 0f};

    @Test
    void greedyPicksTheArgmaxAndTheFirstOnTies() {
        assertEquals(1, new Sampler(SamplingConfig.GREEDY).next(LOGITS));
        assertEquals(0, Sampler.argmax(new float[] {5f, 5f, 1f}));
        assertArrayEquals(new double[] {0, 1, 0, 0}, new Sampler(SamplingConfig.GREEDY).distribution(LOGITS));
    }

    @Test
    void temperatureScalesTheSoftmax() {
        double[] p = new Sampler(new SamplingConfig(2.0, 0, 1, 0)).distribution(LOGITS);
        double z = Math.exp(0.5) + Math.exp(1.5) + Math.exp(1.0) + Math.exp(0);
        assertEquals(Math.exp(1.5) / z, p[1], 1e-12);
        assertEquals(Math.exp(0) / z, p[3], 1e-12);
    }

    @Test
    void topKKeepsTheKLargest() {
        double[] p = new Sampler(new SamplingConfig(1.0, 2, 1, 0)).distribution(LOGITS);
        double z = Math.exp(3) + Math.exp(2);
        assertArrayEquals(new double[] {0, Math.exp(3) / z, Math.exp(2) / z, 0}, p, 1e-12);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // softmax(1,3,2,0) = 0.0871, 0.6439, 0.2369, 0.0321: p=0.7 needs tokens 1 and 2
        double[] p = new Sampler(new SamplingConfig(1.0, 0, 0.7, 0)).distribution(LOGITS);
        double z = Math.exp(3) + Math.exp(2);
        assertArrayEquals(new double[] {0, Math.exp(3) / z, Math.exp(2) / z, 0}, p, 1e-12);
        // p=0.6 is reached by token 1 alone
        assertArrayEquals(new double[] {0, 1, 0, 0}, new Sampler(new SamplingConfig(1.0, 0, 0.6, 0)).distribution(LOGITS), 1e-12);
    }

    @Test
    void theSameSeedGivesTheSameDraws() {
        SamplingConfig config = new SamplingConfig(1.0, 0, 1, 1234);
        Sampler a = new Sampler(config);
        Sampler b = new Sampler(config);
        int[] counts = new int[4];
        for (int i = 0; i < 2000; i++) {
            int x = a.next(LOGITS);
            assertEquals(x, b.next(LOGITS));
            counts[x]++;
        }
        // 2000 draws from (0.087, 0.644, 0.237, 0.032): each count within 5 sigma of its mean
        double[] p = new Sampler(config).distribution(LOGITS);
        for (int i = 0; i < 4; i++) {
            double mean = 2000 * p[i];
            assertTrue(Math.abs(counts[i] - mean) < 5 * Math.sqrt(mean), "count " + i + " = " + counts[i]);
        }
    }

    @Test
    void badSettingsAreRejectedWithTheValue() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(-0.5, 0, 1, 0))
                .getMessage().contains("temperature must be >= 0, got -0.5"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1, 0, 0, 0))
                .getMessage().contains("top_p must be in (0, 1], got 0.0"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1, 0, 1.5, 0))
                .getMessage().contains("top_p must be in (0, 1], got 1.5"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new SamplingConfig(1, -1, 1, 0))
                .getMessage().contains("top_k"));
    }
}
