package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.model.KvCacheType;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;
import dev.layerskip.model.WeightLayout;
import dev.layerskip.model.WeightPrecision;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

/**
 * A bfloat16 KV cache on the demo model: greedy output token-for-token equal to the float32 cache's, for
 * autoregressive decoding, self-speculative rounds and the two-thread pipeline.
 */
class KvCacheTypeGenerationTest {

    private static final Path DEMO = Path.of("models/layerskip-demo");
    private static final List<String> PROMPTS = List.of("import os\n\n\ndef main(", "def read_lines(path):",
            "class Stack:\n    def ");

    private static LoadedModel load(KvCacheType type) throws Exception {
        return LoadedModel.load(DEMO, new LoadOptions(TestCheckpoints.device(), WeightPrecision.FLOAT32, WeightLayout.AUTO, type));
    }

    private static int[][] outputs(LoadedModel m) {
        GenerationConfig config = GenerationConfig.greedy(48, m.defaults().eosTokenIds());
        int layers = m.model().numLayers();
        List<Generator> generators = List.of(new AutoregressiveGenerator(m.model(), m.tokenizer(), layers),
                new SelfSpeculativeGenerator(m.model(), m.tokenizer(), 4, new DraftLength.Fixed(3)),
                TestCheckpoints.device().isGpu() // no pipeline on a GPU (DeviceThreads): rounds of another d there
                        ? new SelfSpeculativeGenerator(m.model(), m.tokenizer(), 4, new DraftLength.Fixed(2))
                        : new SelfSpeculativeGenerator(m.model(), m.tokenizer(), 4, new DraftLength.Fixed(3)).withPipeline(true));
        int[][] out = new int[PROMPTS.size() * generators.size()][];
        int i = 0;
        for (String text : PROMPTS) {
            int[] prompt = m.tokenizer().encode(text);
            for (Generator g : generators) {
                out[i++] = g.generate(prompt, config, TokenListener.NONE).tokenIds();
            }
        }
        return out;
    }

    @Test
    void greedyOutputWithABfloat16CacheEqualsTheFloat32Cache() throws Exception {
        int[][] reference;
        try (LoadedModel f32 = load(KvCacheType.AUTO)) {
            assertEquals(KvCacheType.FLOAT32, f32.model().kvCacheType(), "AUTO with float32 weights");
            reference = outputs(f32);
        }
        try (LoadedModel bf16 = load(KvCacheType.BFLOAT16)) {
            assertEquals(KvCacheType.BFLOAT16, bf16.model().kvCacheType());
            int[][] actual = outputs(bf16);
            for (int i = 0; i < reference.length; i++) {
                String what = PROMPTS.get(i / 3) + " / " + List.of("autoregressive", "rounds", "pipeline").get(i % 3);
                assertTrue(reference[i].length > 10, what);
                assertArrayEquals(reference[i], actual[i], what);
                assertArrayEquals(reference[i - i % 3], actual[i], what + " equals autoregressive");
            }
        }
    }
}
