package dev.layerskip.djl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Application;
import ai.djl.Device;
import ai.djl.inference.Predictor;
import ai.djl.repository.MRL;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelZoo;
import ai.djl.repository.zoo.ZooModel;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.RepetitionControl;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/** String in, String (or GenerationResult) out through DJL's Criteria, the zoo entry, and bad arguments. */
class TranslatorTest {

    private static final String PROMPT = "hello world";

    private static String predict(Map<String, Object> arguments) throws Exception {
        Criteria.Builder<String, String> b = LayerSkipCriteria.builder(String.class, String.class)
                .optModelPath(TestCheckpoints.LLAMA3);
        arguments.forEach(b::optArgument);
        try (ZooModel<String, String> model = b.build().loadModel();
                Predictor<String, String> predictor = model.newPredictor()) {
            return predictor.predict(PROMPT);
        }
    }

    @Test
    void everyStrategyThroughCriteriaMatchesTheLibrary() throws Exception {
        String full = DjlTestSupport.greedyReference(TestCheckpoints.LLAMA3, PROMPT, 12, 0).text();
        String exit2 = DjlTestSupport.greedyReference(TestCheckpoints.LLAMA3, PROMPT, 12, 2).text();
        assertTrue(!full.isEmpty() && !full.equals(exit2), "the reference must distinguish the strategies");
        assertEquals(full, predict(Map.of("max_new_tokens", 12, "strategy", "autoregressive")));
        assertEquals(full, predict(Map.of("max_new_tokens", "12", "exit_layer", "1", "num_speculations", "3")));
        assertEquals(full, predict(Map.of("max_new_tokens", 12, "exit_layer", 3, "draft_confidence", "auto")));
        assertEquals(exit2, predict(Map.of("max_new_tokens", 12, "strategy", "early-exit", "exit_layer", 2)));
    }

    @Test
    void repetitionControlThroughCriteriaMatchesTheLibrary() throws Exception {
        RepetitionControl control = RepetitionControl.of(1.4, 2);
        String penalised = DjlTestSupport.greedyReference(TestCheckpoints.LLAMA3, PROMPT, 12, 0, control).text();
        String plain = DjlTestSupport.greedyReference(TestCheckpoints.LLAMA3, PROMPT, 12, 0).text();
        assertTrue(!penalised.equals(plain), "the penalty must change the text for the test to mean something");
        assertEquals(penalised, predict(Map.of("max_new_tokens", 12, "exit_layer", 1, "repetition_penalty", 1.4,
                "no_repeat_ngram_size", 2)));
    }

    @Test
    void resultsCarryTheSelfSpeculativeStatistics() throws Exception {
        GenerationResult reference = DjlTestSupport.greedyReference(TestCheckpoints.LLAMA3, PROMPT, 10, 0);
        try (ZooModel<String, GenerationResult> model = LayerSkipCriteria.builder(String.class, GenerationResult.class)
                        .optModelPath(TestCheckpoints.LLAMA3).optArgument("max_new_tokens", 10)
                        .optArgument("exit_layer", 2).optArgument("num_speculations", 2).build().loadModel();
                Predictor<String, GenerationResult> predictor = model.newPredictor()) {
            GenerationResult r = predictor.predict(PROMPT);
            assertArrayEquals(reference.tokenIds(), r.tokenIds());
            assertTrue(r.stats().rounds() > 0 && r.stats().drafted() > 0, "self-speculative rounds are counted");
            assertEquals(r.stats().accepted(), Math.round(r.stats().acceptanceRate() * r.stats().drafted()));
        }
    }

    @Test
    void int8ArgumentLoadsInt8AndSelfSpeculationKeepsItsText() throws Exception {
        String[] texts = new String[2];
        for (int i = 0; i < 2; i++) {
            Criteria.Builder<String, GenerationResult> b = LayerSkipCriteria.builder(String.class, GenerationResult.class)
                    .optModelPath(TestCheckpoints.LLAMA3).optArgument("dtype", "int8").optArgument("max_new_tokens", 12);
            b = i == 0 ? b.optArgument("strategy", "autoregressive") : b.optArgument("exit_layer", 1).optArgument("num_speculations", 3);
            try (ZooModel<String, GenerationResult> model = b.build().loadModel();
                    Predictor<String, GenerationResult> predictor = model.newPredictor()) {
                assertEquals(dev.layerskip.model.WeightLayout.INT8, ((dev.layerskip.model.LlamaModel) model.getBlock()).layout());
                texts[i] = predictor.predict(PROMPT).text();
            }
        }
        assertEquals(texts[0], texts[1]);
    }

    @Test
    void zooEntryLoadsTheShippedDemoModel() throws Exception {
        String reference = DjlTestSupport.greedyReference(DjlTestSupport.DEMO, "def ", 16, 0).text();
        Criteria<String, String> criteria = Criteria.builder().setTypes(String.class, String.class)
                .optGroupId(LayerSkipModelZoo.GROUP_ID).optArtifactId("layerskip-demo")
                .optArgument("max_new_tokens", 16).build();
        try (ZooModel<String, String> model = criteria.loadModel(); Predictor<String, String> p = model.newPredictor()) {
            assertEquals(reference, p.predict("def "));
        }
        List<MRL> models = ModelZoo.listModels(Criteria.builder().setTypes(String.class, String.class)
                .optGroupId(LayerSkipModelZoo.GROUP_ID).build()).get(Application.NLP.TEXT_GENERATION);
        assertTrue(models != null && models.stream().anyMatch(m -> m.getArtifactId().equals("layerskip-demo")), "listed: " + models);
    }

    @Test
    void badArgumentsAreNamed() {
        assertMessage("'strategy'", Map.of("strategy", "fastest"));
        assertMessage("'exit_layer' must be an integer", Map.of("exit_layer", "two"));
        assertMessage("max_new_tokens must be >= 1", Map.of("max_new_tokens", 0));
        assertMessage("'dtype' must be auto, float32, float16, bfloat16 or int8", Map.of("dtype", "float8"));
        assertMessage("dtype int8 lays its projections out for FBGEMM; the weight layout must be auto, got packed",
                Map.of("dtype", "int8", "weight_layout", "packed"));
        assertMessage("needs PyTorch's CUDA build, and this engine is the CPU build", Map.of("device", "gpu"));
        assertMessage("'warmup_ms' must be >= 0 (milliseconds), got -5", Map.of("warmup_ms", -5));
        assertMessage("'do_sample' must be true or false", Map.of("do_sample", "yes"));
        assertMessage("draft_confidence must be in (0, 1)", Map.of("draft_confidence", "1.5"));
        assertMessage("'max_streams' must be >= 1", Map.of("max_streams", 0));
        assertMessage("repetition_penalty must be > 0 (1 = off), got 0.0", Map.of("repetition_penalty", 0));
        assertMessage("no_repeat_ngram_size must be >= 0 (0 = off), got -1", Map.of("no_repeat_ngram_size", -1));
        assertMessage("no-such-dir", Map.of("checkpoint", "no-such-dir"));
        // checked against the model (L = 4) when it loads, not on every request
        assertMessage("exit_layer/num_speculations/draft_confidence: exit layer 4 is outside 1..3", Map.of("exit_layer", 4));
        assertMessage("exit layer 9 is outside 1..4", Map.of("strategy", "early-exit", "exit_layer", 9));
    }

    @Test
    void draftVocabularyArgumentKeepsTheTextAndBadValuesAreNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        java.nio.file.Path copy = tmp.resolve("model");
        java.nio.file.Files.createDirectories(copy);
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(TestCheckpoints.LLAMA3)) {
            for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
                java.nio.file.Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        dev.layerskip.checkpoint.TokenCounts.byId(300).write(copy, List.of("ids"));
        String full = DjlTestSupport.greedyReference(TestCheckpoints.LLAMA3, PROMPT, 12, 0).text();
        for (int n : new int[] {1, 20, 300}) {
            Criteria.Builder<String, String> b = LayerSkipCriteria.builder(String.class, String.class).optModelPath(copy)
                    .optArgument("max_new_tokens", 12).optArgument("exit_layer", 1).optArgument("draft_vocab", n);
            try (ZooModel<String, String> model = b.build().loadModel(); Predictor<String, String> predictor = model.newPredictor()) {
                assertEquals(full, predictor.predict(PROMPT), "draft_vocab " + n);
            }
        }
        assertMessage("argument 'draft_vocab' must be >= 1 (a number of tokens), got 0", Map.of("draft_vocab", 0));
        assertMessage("draft_vocab 301 exceeds the vocabulary (300 tokens)", Map.of("draft_vocab", 301));
        assertMessage("token_counts.json: file not found", Map.of("draft_vocab", 10));
        assertMessage("draft_vocab needs the self-speculative strategy", Map.of("draft_vocab", 10, "strategy", "autoregressive"));
    }

    @Test
    void pipelineArgumentKeepsTheTextAndConflictsAreNamed() throws Exception {
        String full = DjlTestSupport.greedyReference(TestCheckpoints.LLAMA3, PROMPT, 12, 0).text();
        for (int d : new int[] {1, 2, 5}) {
            // batching is on by default: "pipeline when alone, batch when not"; max_batch_size 1 pipelines on the caller's thread
            int batch = d == 1 ? 1 : d == 2 ? 4 : 0;
            Criteria.Builder<String, String> b = LayerSkipCriteria.builder(String.class, String.class)
                    .optModelPath(TestCheckpoints.LLAMA3).optArgument("max_new_tokens", 12).optArgument("exit_layer", 2)
                    .optArgument("num_speculations", d).optArgument("speculative_pipeline", "true");
            if (batch > 0) {
                b.optArgument("max_batch_size", batch);
            }
            try (ZooModel<String, String> model = b.build().loadModel(); Predictor<String, String> predictor = model.newPredictor()) {
                assertEquals(full, predictor.predict(PROMPT), "pipelined, d = " + d + ", max_batch_size " + batch);
                assertEquals(batch != 1, ((LayerSkipTranslator<?>) model.getTranslator()).service().scheduler().isPresent(),
                        "batched unless max_batch_size is 1");
            }
        }
        assertMessage("'speculative_pipeline' must be true or false, got 'yes'", Map.of("speculative_pipeline", "yes"));
        assertMessage("speculative_pipeline needs the self-speculative strategy",
                Map.of("speculative_pipeline", true, "strategy", "early-exit"));
        assertMessage("speculative_pipeline needs a fixed draft length",
                Map.of("speculative_pipeline", true, "draft_confidence", "auto"));
    }

    @Test
    void criteriaWithTheGpuDeviceFailsWithTheDeviceCheckLine() {
        // Criteria.optDevice(Device.gpu()) on this CPU build: the block factory refuses before any tensor is made
        Criteria<String, String> criteria = LayerSkipCriteria.builder(String.class, String.class)
                .optModelPath(TestCheckpoints.LLAMA3).optDevice(Device.gpu()).build();
        Exception e = assertThrows(Exception.class, () -> criteria.loadModel().close());
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        assertEquals(IllegalArgumentException.class, root.getClass(), String.valueOf(e));
        assertEquals(TestCheckpoints.CPU_BUILD_GPU0, root.getMessage());
        assertTrue(e.getMessage().endsWith(TestCheckpoints.CPU_BUILD_GPU0), e.getMessage());
    }

    @Test
    void thePipelineArgumentOnAGpuIsRefusedBeforeTheDeviceCheck() {
        // a settings conflict, told before the device is even looked at (so this CPU build can show it)
        Criteria<String, String> criteria = LayerSkipCriteria.builder(String.class, String.class)
                .optModelPath(TestCheckpoints.LLAMA3).optDevice(Device.gpu()).optArgument("speculative_pipeline", "true").build();
        Exception e = assertThrows(Exception.class, () -> criteria.loadModel().close());
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        String line = "speculative_pipeline (the two-thread self-speculative pipeline) is not available on device gpu(0):"
                + " its drafting and verifying threads would queue on one CUDA stream; drop speculative_pipeline to decode"
                + " in rounds";
        assertEquals(IllegalArgumentException.class, root.getClass(), String.valueOf(e));
        assertEquals(line, root.getMessage());
        assertTrue(e.getMessage().endsWith(line), e.getMessage());
    }

    private static void assertMessage(String expected, Map<String, Object> arguments) {
        Exception e = assertThrows(Exception.class, () -> predict(arguments));
        StringBuilder all = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append(" | ");
        }
        assertTrue(all.toString().contains(expected), "expected '" + expected + "' in: " + all);
    }
}
