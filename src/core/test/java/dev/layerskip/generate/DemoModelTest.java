package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.checkpoint.SpeculationDefaults;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The shipped demo model: its tokenizer through DJL, its saved defaults, lossless self-speculation. */
class DemoModelTest {

    @Test
    void shippedModelGeneratesIdenticallyWithSelfSpeculation() throws IOException {
        try (LoadedModel m = LoadedModel.load(Path.of("models/layerskip-demo"), LoadOptions.CPU_FLOAT32)) {
            String code = "def read_lines(path):\n    with open(path) as f:\n        return f.read().splitlines()\n";
            int[] ids = m.tokenizer().encode(code);
            assertEquals(1, ids[0], "BOS first");
            assertEquals(code, m.tokenizer().decode(ids));
            assertTrue(ids.length < code.length() / 2, "BPE merges: " + ids.length + " tokens for " + code.length() + " bytes");
            SpeculationDefaults d = m.speculationDefaults().orElseThrow();
            assertTrue(d.exitLayer() >= 1 && d.exitLayer() < m.model().numLayers());
            int[] prompt = m.tokenizer().encode("import os\n\n\ndef main(");
            GenerationConfig config = GenerationConfig.greedy(48, m.defaults().eosTokenIds());
            int[] reference = new AutoregressiveGenerator(m.model(), m.tokenizer(), m.model().numLayers()).generate(prompt, config, TokenListener.NONE).tokenIds();
            for (DraftLength dl : List.of(new DraftLength.Fixed(d.numSpeculations()), new DraftLength.Fixed(4), new DraftLength.Adaptive(6))) {
                GenerationResult r = new SelfSpeculativeGenerator(m.model(), m.tokenizer(), d.exitLayer(), dl)
                        .generate(prompt, config, TokenListener.NONE);
                assertArrayEquals(reference, r.tokenIds(), dl.toString());
                assertTrue(r.stats().acceptanceRate() > 0.3, "acceptance " + r.stats().acceptanceRate());
            }
        }
    }
}
