package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.model.LlamaModel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Weights that are finite but overflow when combined (seeded: a random layer's projection or the final
 * norm scaled towards Float.MAX_VALUE) make the model produce NaN/Inf logits; decoding must stop with
 * NonFiniteLogitsException naming the exit layer and position, never emit token 0 forever.
 */
class NonFiniteLogitsTest {

    @Test
    void allFiniteIsExact() {
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            assertTrue(FiniteCheck.allFinite(m.create(new float[] {1, -2, 3e38f, 3e38f}))); // the sum overflows, values do not
            assertTrue(!FiniteCheck.allFinite(m.create(new float[] {1, Float.NaN})));
            assertTrue(!FiniteCheck.allFinite(m.create(new float[] {Float.NEGATIVE_INFINITY, 0})));
            assertTrue(FiniteCheck.allFinite(m.create(new float[] {60000f, 60000f}).toType(ai.djl.ndarray.types.DataType.FLOAT16, false)));
        }
    }

    @Test
    void overflowingWeightsStopDecodingWithAClearError() {
        Random random = new Random(5);
        String[] targets = {"norm", "down", "gate_up", "o"};
        List<String> failures = new ArrayList<>();
        int cases = 0;
        for (String target : targets) {
            for (int i = 0; i < 4; i++) {
                cases++;
                try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
                    LlamaModel model = TestCheckpoints.randomModel(manager, TestCheckpoints.tinyConfig(), random.nextLong());
                    int layer = random.nextInt(model.numLayers());
                    Parameter p = target.equals("norm") ? model.norm().weight()
                            : model.layers().get(layer).getParameters().stream()
                                    .filter(e -> e.getValue().getName().equals(target)).findFirst().orElseThrow().getValue();
                    NDArray old = p.getArray();
                    old.muli(Float.MAX_VALUE / Math.max(1f, old.abs().max().getFloat())); // finite, but overflows downstream
                    Generator g = new AutoregressiveGenerator(model, null, model.numLayers());
                    try {
                        GenerationResult r = g.generate(new int[] {1, 5, 9}, GenerationConfig.greedy(6, List.of()),
                                TokenListener.NONE);
                        failures.add(target + "@" + layer + " generated " + java.util.Arrays.toString(r.tokenIds()));
                    } catch (NonFiniteLogitsException e) {
                        if (!e.getMessage().contains("non-finite logits (NaN or infinity) at exit layer 3, position ")) {
                            failures.add(target + "@" + layer + ": " + e.getMessage());
                        }
                    }
                }
            }
        }
        assertEquals(16, cases);
        assertEquals("", String.join("\n", failures));
    }

    @Test
    void selfSpeculationStopsWithAClearErrorInsteadOfEmittingGarbage() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            Generator g = new SelfSpeculativeGenerator(overflowingHead(manager), null, 1, new DraftLength.Fixed(3));
            NonFiniteLogitsException e = org.junit.jupiter.api.Assertions.assertThrows(NonFiniteLogitsException.class,
                    () -> g.generate(new int[] {1, 5, 9}, GenerationConfig.greedy(6, List.of()), TokenListener.NONE));
            assertTrue(e.getMessage().contains("non-finite logits (NaN or infinity) at exit layer 3, position"), e.getMessage());
        }
    }

    /**
     * A random tiny model whose final norm (the head shared by every exit) is scaled towards
     * Float.MAX_VALUE: finite weights whose logits overflow, at the drafts' exit too.
     *
     * @param manager owns the weights
     * @return the model
     */
    static LlamaModel overflowingHead(NDManager manager) {
        return TestCheckpoints.overflowingHead(manager);
    }
}
