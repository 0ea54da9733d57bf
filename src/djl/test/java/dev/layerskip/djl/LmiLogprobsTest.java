package dev.layerskip.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.ZooModel;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import dev.layerskip.eval.LayerPerplexity;
import dev.layerskip.eval.PerLayerEvaluator;
import dev.layerskip.generate.AutoregressiveGenerator;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.LogprobOptions;
import dev.layerskip.generate.RepetitionControl;
import dev.layerskip.generate.TokenListener;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/**
 * LMI / TGI log-probabilities through the serving translator, as DJL Serving loads {@code serving-config/}:
 * {@code details.tokens[].log_prob} (the full model's, also when the served strategy is self-speculative),
 * {@code top_n_tokens} (details.top_tokens, and top_tokens on stream lines) and {@code decoder_input_details}
 * (details.prefill, whose values add up to {@code eval}'s log-likelihood).
 */
class LmiLogprobsTest {

    private static final String PROMPT = "def read_lines(path):";
    private static ZooModel<Input, Output> model;
    private static LoadedModel demo;

    @BeforeAll
    static void load() throws Exception {
        model = DjlTestSupport.loadLikeDjlServing(DjlTestSupport.SERVING_CONFIG, Map.of());
        demo = LoadedModel.load(DjlTestSupport.DEMO, LoadOptions.CPU_FLOAT32);
    }

    @AfterAll
    static void close() {
        model.close();
        demo.close();
    }

    private static Output predict(String body) throws Exception {
        try (Predictor<Input, Output> p = model.newPredictor()) {
            return p.predict(DjlTestSupport.request(body));
        }
    }

    /** Autoregressive decoding of the same request with the checkpoint's repetition control (no repeated 4-gram). */
    private static GenerationResult reference(int tokens, int top) {
        GenerationConfig config = GenerationConfig.greedy(tokens, demo.defaults().eosTokenIds())
                .withRepetition(RepetitionControl.of(1.0, 4)).withLogprobs(LogprobOptions.tokens(top));
        return new AutoregressiveGenerator(demo.model(), demo.tokenizer(), demo.model().numLayers())
                .generate(demo.tokenizer().encode(PROMPT), config, TokenListener.NONE);
    }

    @Test
    void detailsCarryTheFullModelsLogprobsAndTopTokens() throws Exception {
        Output out = predict("{\"inputs\": \"" + PROMPT + "\", \"parameters\": {\"max_new_tokens\": 12, \"top_n_tokens\": 3}}");
        assertEquals(200, out.getCode());
        JsonObject details = DjlTestSupport.json(out).getAsJsonObject("details"); // top_n_tokens implies details
        JsonArray tokens = details.getAsJsonArray("tokens");
        JsonArray top = details.getAsJsonArray("top_tokens");
        GenerationResult reference = reference(12, 3);
        assertEquals(reference.tokenIds().length, tokens.size());
        assertEquals(tokens.size(), top.size());
        for (int i = 0; i < tokens.size(); i++) {
            JsonObject t = tokens.get(i).getAsJsonObject();
            assertEquals(reference.tokenIds()[i], t.get("id").getAsInt());
            assertEquals(reference.logprobs().get(i).logprob(), t.get("log_prob").getAsDouble(), 1e-4,
                    "token " + i + ": the verifier's value, as autoregressive decoding's");
            JsonArray alternatives = top.get(i).getAsJsonArray();
            assertEquals(3, alternatives.size());
            for (int k = 0; k < 3; k++) {
                JsonObject a = alternatives.get(k).getAsJsonObject();
                assertEquals(reference.logprobs().get(i).topIds()[k], a.get("id").getAsInt());
                assertEquals(reference.logprobs().get(i).topLogprobs()[k], a.get("log_prob").getAsDouble(), 1e-4);
                assertEquals(demo.tokenizer().decode(new int[] {a.get("id").getAsInt()}), a.get("text").getAsString());
            }
        }
        List<JsonObject> lines = DjlTestSupport.drain(predict("{\"inputs\": \"" + PROMPT + "\", \"stream\": true, "
                + "\"parameters\": {\"max_new_tokens\": 12, \"top_n_tokens\": 2}}"));
        assertEquals(tokens.size(), lines.size());
        for (int i = 0; i < lines.size(); i++) {
            JsonObject t = lines.get(i).getAsJsonObject("token");
            assertEquals(tokens.get(i).getAsJsonObject().get("log_prob").getAsDouble(), t.get("log_prob").getAsDouble(), 1e-4); // the schedule may differ between runs
            assertEquals(2, lines.get(i).getAsJsonArray("top_tokens").size(), "stream line " + i);
        }
        JsonObject plain = DjlTestSupport.json(predict("{\"inputs\": \"" + PROMPT + "\", \"parameters\": {\"max_new_tokens\": 4}}"));
        assertTrue(plain.get("details") == null, "no details, no log-probabilities unless asked");
    }

    @Test
    void prefillLogprobsAddUpToEvalsLogLikelihood() throws Exception {
        Output out = predict("{\"inputs\": \"" + PROMPT + "\", \"parameters\": {\"max_new_tokens\": 1, "
                + "\"decoder_input_details\": true}}");
        assertEquals(200, out.getCode(), DjlTestSupport.json(out).toString());
        JsonArray prefill = DjlTestSupport.json(out).getAsJsonObject("details").getAsJsonArray("prefill");
        int[] ids = demo.tokenizer().encode(PROMPT);
        assertEquals(ids.length, prefill.size());
        assertTrue(prefill.get(0).getAsJsonObject().get("log_prob").isJsonNull(), "nothing predicts the first token");
        double sum = 0;
        for (int i = 1; i < ids.length; i++) {
            assertEquals(ids[i], prefill.get(i).getAsJsonObject().get("id").getAsInt());
            sum += prefill.get(i).getAsJsonObject().get("log_prob").getAsDouble();
        }
        LayerPerplexity full = new PerLayerEvaluator(demo.model(), ids.length).evaluate(ids).get(demo.model().numLayers() - 1);
        assertEquals(-full.nll() * full.tokens(), sum, 1e-3);
    }
}
