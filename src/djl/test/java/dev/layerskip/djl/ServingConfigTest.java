package dev.layerskip.djl;

import static dev.layerskip.djl.DjlTestSupport.drain;
import static dev.layerskip.djl.DjlTestSupport.json;
import static dev.layerskip.djl.DjlTestSupport.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.inference.streaming.ChunkedBytesSupplier;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.ZooModel;

import com.google.gson.JsonObject;

import dev.layerskip.generate.FinishReason;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.RepetitionControl;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** serving-config/ loaded as DJL Serving loads it: LMI JSON, batches, streams, concurrency, bad requests. */
class ServingConfigTest {

    private static ZooModel<Input, Output> model;

    @BeforeAll
    static void load() throws Exception {
        model = DjlTestSupport.loadLikeDjlServing(DjlTestSupport.SERVING_CONFIG, Map.of());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static Output predict(Input input) throws Exception {
        try (Predictor<Input, Output> p = model.newPredictor()) {
            return p.predict(input);
        }
    }

    @Test
    void repetitionParametersOverrideTheCheckpointsDefaults() throws Exception {
        String prompt = "def read_lines(path):";
        String defaults = DjlTestSupport.greedyReference(DjlTestSupport.DEMO, prompt, 40, 0).text(); // no repeated 4-gram
        String off = DjlTestSupport.greedyReference(DjlTestSupport.DEMO, prompt, 40, 0, RepetitionControl.NONE).text();
        String penalised = DjlTestSupport.greedyReference(DjlTestSupport.DEMO, prompt, 40, 0, RepetitionControl.of(1.3, 0)).text();
        assertTrue(!defaults.equals(off) && !penalised.equals(off) && !penalised.equals(defaults), "the settings must differ here");
        String body = "{\"inputs\": \"" + prompt + "\", \"parameters\": {\"max_new_tokens\": 40";
        assertEquals(defaults, json(predict(request(body + "}}"))).get("generated_text").getAsString());
        assertEquals(off, json(predict(request(body + ", \"no_repeat_ngram_size\": 0}}"))).get("generated_text").getAsString());
        assertEquals(penalised, json(predict(request(body + ", \"no_repeat_ngram_size\": 0, \"repetition_penalty\": 1.3}}")))
                .get("generated_text").getAsString());
    }

    @Test
    void answersInTheLmiSchemaWithTheFullModelsGreedyText() throws Exception {
        GenerationResult reference = DjlTestSupport.greedyReference(DjlTestSupport.DEMO, "def ", 16, 0);
        Output out = predict(request("{\"inputs\": \"def \", \"parameters\": {\"max_new_tokens\": 16, \"details\": true}}"));
        assertEquals(200, out.getCode());
        assertEquals("application/json", out.getProperty("Content-Type", null));
        JsonObject body = json(out);
        assertEquals(reference.text(), body.get("generated_text").getAsString());
        JsonObject details = body.getAsJsonObject("details");
        assertEquals("length", details.get("finish_reason").getAsString());
        assertEquals(16, details.get("generated_tokens").getAsInt());
        assertEquals("def ", details.get("inputs").getAsString());
        assertEquals("self-speculative", details.get("strategy").getAsString());
        assertEquals(dev.layerskip.checkpoint.SpeculationDefaults.read(DjlTestSupport.DEMO).orElseThrow().exitLayer(),
                details.get("exit_layer").getAsInt()); // the demo's layerskip.json
        double acceptance = details.get("acceptance_rate").getAsDouble();
        assertTrue(acceptance >= 0 && acceptance <= 1, "acceptance " + acceptance);
        StringBuilder joined = new StringBuilder();
        details.getAsJsonArray("tokens").forEach(t -> joined.append(t.getAsJsonObject().get("text").getAsString()));
        assertEquals(16, details.getAsJsonArray("tokens").size());
        assertEquals(reference.text(), joined.toString());
        // without details, only generated_text; return_full_text prefixes the prompt
        JsonObject plain = json(predict(request(
                "{\"inputs\": \"def \", \"parameters\": {\"max_new_tokens\": 16, \"return_full_text\": true}}")));
        assertEquals("def " + reference.text(), plain.get("generated_text").getAsString());
        assertFalse(plain.has("details"));
        // a text/plain body is the prompt itself
        Input text = new Input();
        text.addProperty("content-type", "text/plain");
        text.add("data", "def ".getBytes(StandardCharsets.UTF_8));
        assertEquals(200, predict(text).getCode());
    }

    @Test
    void batchPredictAnswersEveryRequestOnItsOwn() throws Exception {
        String early = DjlTestSupport.greedyReference(DjlTestSupport.DEMO, "import ", 8, 2).text();
        try (Predictor<Input, Output> p = model.newPredictor()) {
            List<Output> outs = p.batchPredict(List.of(
                    request("{\"inputs\": \"import \", \"parameters\": {\"max_new_tokens\": 8, \"strategy\": \"early-exit\", \"exit_layer\": 2}}"),
                    request("{\"parameters\": {\"max_new_tokens\": 8}}"),
                    request("{\"inputs\": \"class \", \"parameters\": {\"max_new_tokens\": 3}}")));
            assertEquals(List.of(200, 400, 200), outs.stream().map(Output::getCode).toList());
            assertEquals(early, json(outs.get(0)).get("generated_text").getAsString());
            assertTrue(json(outs.get(1)).get("error").getAsString().contains("'inputs'"));
            assertEquals(400, json(outs.get(1)).get("code").getAsInt());
        }
    }

    @Test
    void streamsOneJsonLinePerTokenAndEndsWithTheText() throws Exception {
        String body = "{\"inputs\": \"def \", \"parameters\": {\"max_new_tokens\": 20, \"details\": true}, \"stream\": true}";
        String whole = json(predict(request(body.replace(", \"stream\": true", "")))).get("generated_text").getAsString();
        Output out = predict(request(body));
        assertEquals(200, out.getCode());
        assertEquals("application/jsonlines", out.getProperty("Content-Type", null));
        assertTrue(out.getData() instanceof ChunkedBytesSupplier);
        List<JsonObject> lines = drain(out);
        assertEquals(20, lines.size());
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            JsonObject line = lines.get(i);
            joined.append(line.getAsJsonObject("token").get("text").getAsString());
            assertEquals(i == lines.size() - 1, line.has("generated_text"), "only the last line has generated_text");
        }
        JsonObject last = lines.get(lines.size() - 1);
        assertEquals(whole, last.get("generated_text").getAsString());
        assertEquals(whole, joined.toString());
        assertEquals(20, last.getAsJsonObject("details").get("generated_tokens").getAsInt());
        assertEquals("length", last.getAsJsonObject("details").get("finish_reason").getAsString());
        List<JsonObject> plain = drain(predict(request(body.replace(", \"details\": true", ""))));
        JsonObject plainLast = plain.get(plain.size() - 1);
        assertEquals(whole, plainLast.get("generated_text").getAsString());
        assertFalse(plainLast.has("details"), "details only when asked for, as LMI: " + plainLast);
    }

    @Test
    void concurrentRequestsEqualSingleRuns() throws Exception {
        List<String> bodies = List.of(
                "{\"inputs\": \"def \", \"parameters\": {\"max_new_tokens\": 24}}",
                "{\"inputs\": \"import os\", \"parameters\": {\"max_new_tokens\": 24, \"strategy\": \"autoregressive\"}}",
                "{\"inputs\": \"class \", \"parameters\": {\"max_new_tokens\": 24, \"do_sample\": true, \"temperature\": 0.8, \"top_p\": 0.9, \"seed\": 7}}",
                "{\"inputs\": \"    return \", \"parameters\": {\"max_new_tokens\": 24, \"exit_layer\": 2, \"num_speculations\": 3}}",
                "{\"inputs\": \"for i in \", \"parameters\": {\"max_new_tokens\": 24, \"strategy\": \"early-exit\", \"exit_layer\": 6}}",
                "{\"inputs\": \"if x\", \"parameters\": {\"max_new_tokens\": 24, \"do_sample\": true, \"seed\": 3, \"exit_layer\": 3}}");
        List<String> single = new ArrayList<>();
        for (String b : bodies) {
            single.add(json(predict(request(b))).get("generated_text").getAsString());
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> futures = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (String b : bodies) {
                    futures.add(pool.submit(() -> json(predict(request(b))).get("generated_text").getAsString()));
                }
            }
            for (int i = 0; i < futures.size(); i++) {
                assertEquals(single.get(i % bodies.size()), futures.get(i).get(120, TimeUnit.SECONDS), "request " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void tgiFieldsThatLmiClientsSendAreHonoured() throws Exception {
        String prompt = "x = 1\ny = 2\nz = 3\ndef ";
        String body = "{\"inputs\": \"" + prompt.replace("\n", "\\n") + "\", \"parameters\": {\"max_new_tokens\": 24, \"details\": true%s}}";
        JsonObject plain = json(predict(request(String.format(body, ""))));
        // stop is TGI's name for stop_sequences: the same answer
        JsonObject stopSequences = json(predict(request(String.format(body, ", \"stop_sequences\": [\"\\n\"]"))));
        JsonObject stop = json(predict(request(String.format(body, ", \"stop\": [\"\\n\"]"))));
        assertEquals(stopSequences.get("generated_text"), stop.get("generated_text"));
        assertEquals("stop_sequence", stop.getAsJsonObject("details").get("finish_reason").getAsString());
        // truncate keeps the last N prompt tokens; beyond the prompt it changes nothing
        int promptTokens = plain.getAsJsonObject("details").get("prompt_tokens").getAsInt();
        JsonObject whole = json(predict(request(String.format(body, ", \"truncate\": " + (promptTokens + 5)))));
        assertEquals(plain.get("generated_text"), whole.get("generated_text"));
        JsonObject cut = json(predict(request(String.format(body, ", \"truncate\": 2"))));
        assertEquals(2, cut.getAsJsonObject("details").get("prompt_tokens").getAsInt());
        // a prompt far beyond the context (more bytes than 64 x 1,024) is fine when truncate keeps what fits
        String huge = "x = 1\\n".repeat(12_000) + "def ";
        JsonObject kept = json(predict(request("{\"inputs\": \"" + huge + "\", \"parameters\": {\"max_new_tokens\": 4,"
                + " \"details\": true, \"truncate\": 16}}")));
        assertEquals(16, kept.getAsJsonObject("details").get("prompt_tokens").getAsInt(), kept.toString());
        // neutral values of the fields this server does not implement are accepted
        JsonObject neutral = json(predict(request(String.format(body, ", \"best_of\": 1, \"watermark\": false,"
                + " \"top_n_tokens\": 0, \"decoder_input_details\": false, \"typical_p\": 1.0, \"ignore_eos\": false"))));
        assertEquals(plain.get("generated_text"), neutral.get("generated_text"));
        // ignore_eos drops the checkpoint's end-of-sequence ids from the generation
        GenerationService service = ((LayerSkipServingTranslator) model.getTranslator()).service();
        LmiRequest ignoring = LmiRequestParser.parse(String.format(body, ", \"ignore_eos\": true")
                .getBytes(StandardCharsets.UTF_8), null);
        assertTrue(service.prepare(ignoring).config().eosTokenIds().isEmpty());
        assertFalse(service.prepare(LmiRequestParser.parse(String.format(body, "").getBytes(StandardCharsets.UTF_8), null))
                .config().eosTokenIds().isEmpty());
    }

    @Test
    void badRequestsGet400NamingTheField() throws Exception {
        String longPrompt = "x = 1\n".repeat(1200);
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("{\"inputs\": \"def \"", "not valid JSON");
        cases.put("[\"def \"]", "JSON object");
        cases.put("{inputs: \"def \"}", "not valid JSON");
        cases.put("{\"inputs\": \"def \",}", "not valid JSON");
        cases.put("{\"inputs\": \"def \"} {}", "not valid JSON");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"seed\": 1e10000}}", "parameters.seed must be an integer");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"top_p\": 1e999}}", "parameters.top_p must be");
        cases.put("{\"inputs\": 5}", "'inputs' must be a string");
        cases.put("{\"inputs\": \"\"}", "'inputs' must not be empty");
        cases.put("{\"input\": \"def \"}", "unknown field 'input'");
        cases.put("{\"inputs\": \"a\", \"stream\": \"yes\"}", "stream must be true or false");
        cases.put("{\"inputs\": \"a\", \"parameters\": [1]}", "'parameters' must be an object");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"max_new_tokens\": \"ten\"}}", "parameters.max_new_tokens must be an integer");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"max_new_tokens\": 2.5}}", "parameters.max_new_tokens must be an integer");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"max_new_tokens\": 0}}", "parameters.max_new_tokens must be >= 1");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"max_tokens\": 5}}", "unknown field 'parameters.max_tokens'");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"temperature\": -1}}", "parameters.temperature must be > 0");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"top_p\": 1.5}}", "parameters.top_p must be in (0, 1]");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"top_k\": -2}}", "parameters.top_k must be >= 0");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"do_sample\": 1}}", "parameters.do_sample must be true or false");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"seed\": \"x\"}}", "parameters.seed must be an integer");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"stop_sequences\": [1]}}", "parameters.stop_sequences[0] must be a string");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"stop_sequences\": \"\\n\"}}", "parameters.stop_sequences must be a list of strings");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"stop\": [\"\"]}}", "parameters.stop[0] must not be empty");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"stop\": [\"x\"], \"stop_sequences\": [\"y\"]}}",
                "parameters.stop and parameters.stop_sequences name the same list");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"ignore_eos\": 1}}", "parameters.ignore_eos must be true or false");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"truncate\": 0}}", "parameters.truncate must be >= 1");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"best_of\": 2}}", "parameters.best_of: only 1 is supported");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"watermark\": true}}", "parameters.watermark: watermarking is not supported");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"top_n_tokens\": 21}}", "parameters.top_n_tokens must be in 0..20");
        cases.put("{\"inputs\": \"a\", \"stream\": true, \"parameters\": {\"decoder_input_details\": true}}",
                "parameters.decoder_input_details cannot be used with streaming");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"typical_p\": 0.9}}", "parameters.typical_p: typical sampling");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"exit_layer\": 0}}", "parameters.exit_layer must be >= 1");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"exit_layer\": 8}}", "exit layer 8 is outside 1..7");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"num_speculations\": 0}}", "parameters.num_speculations must be >= 1");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"draft_confidence\": 1.0}}", "parameters.draft_confidence must be in (0, 1)");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"strategy\": \"fast\"}}", "parameters.strategy: unknown strategy 'fast'");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"repetition_penalty\": 0}}",
                "parameters.repetition_penalty must be > 0 (1 = off), got 0.0");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"no_repeat_ngram_size\": -1}}",
                "parameters.no_repeat_ngram_size must be >= 0 (0 = off), got -1");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"no_repeat_ngram_size\": 2.5}}",
                "parameters.no_repeat_ngram_size must be an integer");
        cases.put("{\"inputs\": \"a\", \"parameters\": {\"strategy\": \"autoregressive\", \"num_speculations\": 2}}",
                "num_speculations and draft_confidence need the self-speculative strategy");
        cases.put("{\"inputs\": \"" + longPrompt.replace("\n", "\\n") + "\"}", "tokens but the context holds 1024");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Output out = predict(request(c.getKey()));
            assertEquals(400, out.getCode(), c.getKey());
            JsonObject body = json(out);
            assertEquals(400, body.get("code").getAsInt());
            String error = body.get("error").getAsString();
            assertTrue(error.contains(c.getValue()), "expected '" + c.getValue() + "' in: " + error);
        }
        Output empty = predict(new Input());
        assertEquals(400, empty.getCode());
        assertTrue(json(empty).get("error").getAsString().contains("empty"));
    }

    @Test
    void aCancelledStreamStopsItsGeneration() throws Exception {
        GenerationService service = ((LayerSkipServingTranslator) model.getTranslator()).service();
        long before = service.finishedGenerations(FinishReason.CANCELLED);
        Input input = request("{\"inputs\": \"def \", \"parameters\": {\"max_new_tokens\": 1000, \"details\": true},"
                + " \"stream\": true}");
        Output out = predict(input);
        ChunkedBytesSupplier chunks = (ChunkedBytesSupplier) out.getData();
        chunks.nextChunk(60, TimeUnit.SECONDS);
        input.setCancelled(true); // what the HTTP layer does when the client disconnects
        List<JsonObject> rest = drain(out);
        JsonObject last = rest.get(rest.size() - 1);
        assertEquals("cancelled", last.getAsJsonObject("details").get("finish_reason").getAsString());
        assertTrue(last.getAsJsonObject("details").get("generated_tokens").getAsInt() < 1000);
        assertEquals(before + 1, service.finishedGenerations(FinishReason.CANCELLED));
    }
}
