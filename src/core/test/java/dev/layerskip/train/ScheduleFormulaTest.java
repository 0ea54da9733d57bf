package dev.layerskip.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.SplittableRandom;

/** Layer dropout p(l,t), exit scales e(l), curricula C(t,l) and normalised weights, against the formulas. */
class ScheduleFormulaTest {

    @Test
    void perLayerScalesRunFromZeroToOne() {
        assertEquals(0, PerLayerScale.EXP.at(0, 8), 1e-12);
        assertEquals(1, PerLayerScale.EXP.at(7, 8), 1e-12);
        assertEquals(Math.exp(3 * Math.log(2) / 7) - 1, PerLayerScale.EXP.at(3, 8), 1e-12);
        assertEquals(3 / 7.0, PerLayerScale.LINEAR.at(3, 8), 1e-12);
        assertEquals(1, PerLayerScale.UNIFORM.at(0, 8), 1e-12);
        assertEquals(Math.log(4) / Math.log(8), PerLayerScale.LOG.at(3, 8), 1e-12);
        assertEquals(Math.sin(Math.PI / 2 * 3 / 7), PerLayerScale.SIN.at(3, 8), 1e-12);
        assertEquals(0, PerLayerScale.SIGMOID.at(0, 8), 1e-12);
        assertEquals(1, PerLayerScale.SIGMOID.at(7, 8), 1e-12);
    }

    @Test
    void dropoutProbabilityIsStepTimesLayerTimesPMax() {
        LayerDropout d = new LayerDropout(0.2, PerLayerScale.LINEAR, StepScale.LINEAR, 100);
        assertEquals(0.5 * (4 / 7.0) * 0.2, d.probability(4, 8, 50), 1e-12);
        assertEquals(1.0 * (4 / 7.0) * 0.2, d.probability(4, 8, 500), 1e-12);
        LayerDropout e = new LayerDropout(0.2, PerLayerScale.EXP, StepScale.EXP, 100);
        assertEquals((Math.exp(0.5 * Math.log(2)) - 1) * 0.2, e.probability(7, 8, 50), 1e-12);
        assertEquals(0, e.probability(0, 8, 500), 1e-12);
        // per-sample draws follow p: the last layer (p = 0.2) is skipped about 20 % of the time
        boolean[][] skip = new LayerDropout(0.2, PerLayerScale.EXP, StepScale.CONSTANT, 0).sample(20000, 8, 0, new SplittableRandom(1));
        int skipped = 0;
        for (boolean s : skip[7]) {
            skipped += s ? 1 : 0;
        }
        assertEquals(0.2, skipped / 20000.0, 0.015);
        for (boolean s : skip[0]) {
            assertFalse(s);
        }
    }

    @Test
    void exitScalesFollowThePaper() {
        // sum_l: e(l) = sum_{i<=l} i for l < L-1, L-1 at the last layer
        double[] expected = {0, 1, 3, 6, 10, 15, 21, 7};
        for (int l = 0; l < 8; l++) {
            assertEquals(expected[l], ExitScale.SUM_L.at(l, 8), 1e-12);
        }
        assertEquals(4, ExitScale.LINEAR.at(3, 8), 1e-12);
        assertEquals(0.25, ExitScale.INVERSE.at(3, 8), 1e-12);
        assertEquals(0.5, ExitScale.INVERSE_SQRT.at(3, 8), 1e-12);
        assertEquals(2, ExitScale.SQRT.at(3, 8), 1e-12);
    }

    @Test
    void rotationalCurriculumRotatesWithTheStepAndKeepsTheLastLayer() {
        EarlyExitLoss loss = new EarlyExitLoss(true, ExitScale.UNIFORM, 1, CurriculumType.ROTATIONAL, 3, 0, Set.of());
        for (long t = 0; t < 7; t++) {
            for (int l = 0; l < 8; l++) {
                assertEquals(l == 7 || l % 3 == t % 3, loss.active(t, l, 8), "t=" + t + " l=" + l);
            }
        }
    }

    @Test
    void gradualCurriculumSwitchesExitsOnFromTheTop() {
        EarlyExitLoss loss = new EarlyExitLoss(true, ExitScale.UNIFORM, 1, CurriculumType.GRADUAL, 1, 70, Set.of());
        assertArrayEquals(new boolean[] {false, false, false, false, false, false, false, true}, mask(loss, 0));
        assertArrayEquals(new boolean[] {false, false, false, false, false, false, true, true}, mask(loss, 10));
        assertArrayEquals(new boolean[] {false, false, false, false, true, true, true, true}, mask(loss, 30));
        assertArrayEquals(new boolean[] {true, true, true, true, true, true, true, true}, mask(loss, 70));
    }

    private static boolean[] mask(EarlyExitLoss loss, long t) {
        boolean[] m = new boolean[8];
        for (int l = 0; l < 8; l++) {
            m[l] = loss.active(t, l, 8);
        }
        return m;
    }

    @Test
    void weightsAreNormalisedOverActiveExitsWithEScaleOnNonFinalLayers() {
        EarlyExitLoss loss = new EarlyExitLoss(true, ExitScale.SUM_L, 0.5, CurriculumType.NONE, 1, 0, Set.of(2, 5));
        double[] w = loss.weights(0, 8);
        double z = 0.5 * 3 + 0.5 * 15 + 7;
        assertArrayEquals(new double[] {0, 0, 1.5 / z, 0, 0, 7.5 / z, 0, 7 / z}, w, 1e-12);
        assertArrayEquals(new double[] {0, 0, 0, 0, 0, 0, 0, 1}, EarlyExitLoss.OFF.weights(3, 8), 1e-12);
    }

    @Test
    void badNamesListTheAcceptedOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PerLayerScale.fromName("cubic"));
        assertTrue(e.getMessage().contains("unknown layer dropout per-layer scale 'cubic'"), e.getMessage());
        assertTrue(e.getMessage().contains("exp"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CurriculumType.fromName("random"));
        assertTrue(e.getMessage().contains("unknown early-exit curriculum 'random' (expected one of: none, rotational, gradual)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new LayerDropout(1.0, PerLayerScale.EXP, StepScale.CONSTANT, 0));
    }
}
