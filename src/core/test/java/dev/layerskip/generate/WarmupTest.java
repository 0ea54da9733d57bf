package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.Test;

import java.util.List;

/** A warm-up changes nothing but the speed: the same ids after it, no arrays left behind, the budget kept. */
class WarmupTest {

    @Test
    void warmUpLeavesGenerationUnchanged() throws Exception {
        try (LoadedModel loaded = LoadedModel.load(TestCheckpoints.LLAMA3, LoadOptions.CPU_DEFAULTS)) {
            Generator spec = new SelfSpeculativeGenerator(loaded.model(), loaded.tokenizer(), 2, new DraftLength.Fixed(3));
            int[] prompt = {1, 298, 296, 297, 36};
            GenerationConfig greedy = GenerationConfig.greedy(12, List.of());
            int[] cold = spec.generate(prompt, greedy, TokenListener.NONE).tokenIds();
            int arrays = ((ai.djl.ndarray.BaseNDManager) loaded.manager()).getManagedArrays().size();
            assertEquals(0.0, Warmup.run(spec, loaded.model().config().vocabSize(), 0));
            double ms = Warmup.run(spec, loaded.model().config().vocabSize(), 50);
            assertTrue(ms >= 50 && ms < 5_000, "warm-up took " + ms + " ms for a 50 ms budget");
            assertEquals(arrays, ((ai.djl.ndarray.BaseNDManager) loaded.manager()).getManagedArrays().size(), "arrays left in the model's manager");
            assertArrayEquals(cold, spec.generate(prompt, greedy, TokenListener.NONE).tokenIds());
            assertThrows(IllegalArgumentException.class, () -> Warmup.run(spec, 10, -1));
        }
    }
}
