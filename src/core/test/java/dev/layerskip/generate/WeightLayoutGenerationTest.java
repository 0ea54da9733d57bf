package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.LoadedModel;
import dev.layerskip.model.WeightLayout;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * BF16 weights and oneDNN-packed layouts: logits against the float64 golden values, and greedy
 * self-speculative decoding token-for-token equal to autoregressive decoding in every layout.
 */
class WeightLayoutGenerationTest {

    private static final int[][] PROMPTS = {{1, 298, 296, 297, 36}, {1, 57, 283, 14}};

    private static Path fixture(String name) {
        return name.equals("llama3") ? TestCheckpoints.LLAMA3 : TestCheckpoints.LLAMA2;
    }

    static LoadedModel load(String name, String dtype, String layout) throws IOException {
        return LoadedModel.load(fixture(name), TestCheckpoints.options(dtype, layout));
    }

    @ParameterizedTest
    @CsvSource({"llama3, float32, PACKED, 1e-4", "llama2, float32, PACKED, 1e-4",
        "llama3, bfloat16, PLAIN, 0.08", "llama3, bfloat16, PACKED, 0.08", "llama2, bfloat16, PACKED, 0.08",
        "llama3, int8, INT8, 0.8", "llama2, int8, INT8, 0.8"})
    void logitsMatchTheGoldenValuesAtEveryExit(String name, String dtype, String layout, double tolerance) throws IOException {
        JsonObject g = new Gson().fromJson(Files.readString(fixture(name).resolve("golden.json")), JsonObject.class);
        JsonArray idArray = g.getAsJsonArray("input_ids");
        int[] ids = new int[idArray.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = idArray.get(i).getAsInt();
        }
        try (LoadedModel loaded = load(name, dtype, layout); NDManager manager = loaded.manager().newSubManager()) {
            InferenceMode.enterOnThisThread();
            LlamaModel model = loaded.model();
            assertEquals(WeightLayout.valueOf(layout), model.layout());
            int v = model.config().vocabSize();
            JsonObject logits = g.getAsJsonObject("logits");
            for (String exit : logits.keySet()) {
                NDArray input = manager.create(ids).reshape(1, ids.length); // [1, seq]
                float[] actual = model.logits(input, Integer.parseInt(exit)).toFloatArray(); // [seq·vocab]
                JsonArray rows = logits.getAsJsonArray(exit);
                double worst = 0;
                for (int t = 0; t < rows.size(); t++) {
                    JsonArray row = rows.get(t).getAsJsonArray();
                    for (int j = 0; j < v; j++) {
                        double expected = row.get(j).getAsDouble();
                        worst = Math.max(worst, Math.abs(actual[t * v + j] - expected) / Math.max(1.0, Math.abs(expected)));
                    }
                }
                assertTrue(worst <= tolerance, name + " " + dtype + " " + layout + " exit " + exit + ": worst relative error " + worst);
            }
        }
    }

    @ParameterizedTest
    @CsvSource({"llama3, float32, PACKED", "llama2, float32, PACKED", "llama3, bfloat16, PACKED",
        "llama2, bfloat16, PACKED", "llama3, bfloat16, PLAIN", "llama3, int8, INT8", "llama2, int8, INT8"})
    void greedySelfSpeculationEqualsAutoregressive(String name, String dtype, String layout) throws IOException {
        try (LoadedModel m = load(name, dtype, layout)) {
            int layers = m.model().numLayers();
            GenerationConfig config = GenerationConfig.greedy(24, List.of());
            for (int[] prompt : PROMPTS) {
                GenerationResult reference = new AutoregressiveGenerator(m.model(), null, layers).generate(prompt, config, TokenListener.NONE);
                for (int e = 1; e < layers; e++) {
                    for (int d : new int[] {1, 3, 40}) {
                        GenerationResult r = new SelfSpeculativeGenerator(m.model(), null, e, new DraftLength.Fixed(d))
                                .generate(prompt, config, TokenListener.NONE);
                        assertArrayEquals(reference.tokenIds(), r.tokenIds(), name + " " + dtype + " " + layout + " E=" + e + " d=" + d);
                    }
                }
            }
        }
    }

    @Test
    void int8PipelineAndRollingBatchesGiveTheAutoregressiveTokens() throws Exception {
        try (LoadedModel m = load("llama3", "int8", "INT8")) {
            GenerationConfig config = GenerationConfig.greedy(16, List.of());
            Generator full = new AutoregressiveGenerator(m.model(), m.tokenizer(), m.model().numLayers());
            SelfSpeculativeGenerator rounds = new SelfSpeculativeGenerator(m.model(), m.tokenizer(), 2, new DraftLength.Fixed(3));
            Generator pipelined = rounds.withPipeline(true);
            java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(4);
            try (BatchScheduler scheduler = new BatchScheduler(m.model(), m.tokenizer(), BatchLimits.of(4))) {
                for (int[] prompt : PROMPTS) {
                    int[] reference = full.generate(prompt, config, TokenListener.NONE).tokenIds();
                    assertArrayEquals(reference, pipelined.generate(prompt, config, TokenListener.NONE).tokenIds(), "pipelined");
                    List<java.util.concurrent.Future<GenerationResult>> batched = new java.util.ArrayList<>();
                    for (Generator g : List.of(full, rounds, full, rounds)) {
                        batched.add(clients.submit(() -> scheduler.generate(g, prompt, config, TokenListener.NONE)));
                    }
                    for (java.util.concurrent.Future<GenerationResult> f : batched) {
                        assertArrayEquals(reference, f.get().tokenIds(), "batched");
                    }
                }
            } finally {
                clients.shutdownNow();
            }
        }
    }
}
