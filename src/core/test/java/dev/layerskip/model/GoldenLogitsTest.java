package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.eval.LayerPerplexity;
import dev.layerskip.eval.PerLayerEvaluator;
import dev.layerskip.generate.AutoregressiveGenerator;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.TokenListener;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The Java model against golden values from an independent float64 PyTorch reference
 * (scripts/golden/make_fixtures.py): logits at every exit, per-layer NLL, greedy ids.
 */
class GoldenLogitsTest {

    private static JsonObject golden(Path fixture) throws IOException {
        return JsonParser.parseString(Files.readString(fixture.resolve("golden.json"))).getAsJsonObject();
    }

    private static int[] ints(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    private static Path fixture(String name) {
        return name.equals("llama3") ? TestCheckpoints.LLAMA3 : TestCheckpoints.LLAMA2;
    }

    @ParameterizedTest
    @CsvSource({"llama3, PLAIN", "llama2, PLAIN", "llama3, AUTO", "llama2, AUTO"})
    void logitsMatchAtEveryExitLayer(String name, WeightLayout layout) throws IOException {
        JsonObject g = golden(fixture(name));
        int[] ids = ints(g.getAsJsonArray("input_ids"));
        try (LoadedModel loaded = LoadedModel.load(fixture(name),
                        new LoadOptions(TestCheckpoints.device(), ai.djl.ndarray.types.DataType.FLOAT32, layout));
                NDManager manager = loaded.manager().newSubManager()) {
            InferenceMode.enterOnThisThread();
            LlamaModel model = loaded.model();
            JsonObject logits = g.getAsJsonObject("logits");
            assertEquals(model.numLayers(), logits.size());
            for (String exit : logits.keySet()) {
                NDArray input = manager.create(ids).reshape(1, ids.length); // [1, seq]
                float[] actual = model.logits(input, Integer.parseInt(exit)).toFloatArray(); // [seq·vocab]
                JsonArray rows = logits.getAsJsonArray(exit);
                int v = model.config().vocabSize();
                double worst = 0;
                for (int t = 0; t < rows.size(); t++) {
                    JsonArray row = rows.get(t).getAsJsonArray();
                    for (int j = 0; j < v; j++) {
                        double expected = row.get(j).getAsDouble();
                        double err = Math.abs(actual[t * v + j] - expected) / Math.max(1.0, Math.abs(expected));
                        worst = Math.max(worst, err);
                    }
                }
                assertTrue(worst <= 1e-4, name + " exit " + exit + ": worst relative error " + worst);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "llama2"})
    void perLayerNllMatches(String name) throws IOException {
        JsonObject g = golden(fixture(name));
        int[] ids = ints(g.getAsJsonArray("input_ids"));
        try (LoadedModel loaded = LoadedModel.load(fixture(name), TestCheckpoints.float32())) {
            List<LayerPerplexity> layers = new PerLayerEvaluator(loaded.model(), ids.length).evaluate(ids);
            JsonObject nll = g.getAsJsonObject("nll");
            assertEquals(nll.size(), layers.size());
            for (LayerPerplexity l : layers) {
                double expected = nll.get(String.valueOf(l.exitLayer())).getAsDouble();
                assertEquals(expected, l.nll(), 1e-4 * Math.max(1, expected), name + " exit " + l.exitLayer());
                assertEquals(ids.length - 1, l.tokens());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3", "llama2"})
    void greedyIdsMatchExactly(String name) throws IOException {
        JsonObject g = golden(fixture(name));
        try (LoadedModel loaded = LoadedModel.load(fixture(name), TestCheckpoints.float32())) {
            for (JsonElement e : g.getAsJsonArray("greedy")) {
                JsonObject c = e.getAsJsonObject();
                int exit = c.get("exit_layer").getAsInt();
                GenerationConfig config = GenerationConfig.greedy(c.get("max_new_tokens").getAsInt(),
                        loaded.defaults().eosTokenIds());
                GenerationResult r = new AutoregressiveGenerator(loaded.model(), null, exit)
                        .generate(ints(c.getAsJsonArray("prompt_ids")), config, TokenListener.NONE);
                assertArrayEquals(ints(c.getAsJsonArray("token_ids")), r.tokenIds(), name + " exit " + exit);
            }
        }
    }
}
