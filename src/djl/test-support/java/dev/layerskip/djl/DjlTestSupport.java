package dev.layerskip.djl;

import ai.djl.inference.streaming.ChunkedBytesSupplier;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.layerskip.generate.AutoregressiveGenerator;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.RepetitionControl;
import dev.layerskip.generate.TokenListener;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** Helpers shared by the DJL integration tests. */
public final class DjlTestSupport {

    /** The DJL Serving model directory shipped in the repository. */
    public static final Path SERVING_CONFIG = Path.of("serving-config");
    /** The shipped demo model. */
    public static final Path DEMO = Path.of("models", "layerskip-demo");

    private DjlTestSupport() {}

    /**
     * Loads a model directory the way DJL Serving's ModelInfo does: serving.properties split into
     * options ({@code option.*}) and arguments, the directory as a file URL, Input/Output types.
     *
     * @param dir the model directory
     * @param overrides arguments that win over serving.properties (as DJL Serving's per-model settings do)
     * @return the model
     * @throws Exception if loading fails
     */
    public static ZooModel<Input, Output> loadLikeDjlServing(Path dir, Map<String, String> overrides) throws Exception {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(dir.resolve("serving.properties"))) {
            p.load(r);
        }
        Map<String, Object> arguments = new HashMap<>();
        Map<String, String> options = new HashMap<>();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("option.")) {
                options.put(key.substring(7), p.getProperty(key));
            } else {
                arguments.put(key, p.getProperty(key));
            }
        }
        arguments.putAll(overrides);
        return Criteria.builder()
                .setTypes(Input.class, Output.class)
                .optModelUrls(dir.toAbsolutePath().toUri().toURL().toString())
                .optModelName("layerskip")
                .optEngine(p.getProperty("engine"))
                .optArguments(arguments)
                .optOptions(options)
                .build()
                .loadModel();
    }

    /**
     * A request as DJL Serving's RequestParser builds it from a JSON POST.
     *
     * @param json the body
     * @return the input
     */
    public static Input request(String json) {
        Input input = new Input();
        input.addProperty("Content-Type", "application/json");
        input.add("data", json.getBytes(StandardCharsets.UTF_8));
        return input;
    }

    /**
     * @param output a non-streaming output
     * @return its JSON body
     */
    public static JsonObject json(Output output) {
        return JsonParser.parseString(new String(output.getData().getAsBytes(), StandardCharsets.UTF_8)).getAsJsonObject();
    }

    /**
     * Drains a streaming output the way DJL Serving does (nextChunk until hasNext is false).
     *
     * @param output the output
     * @return its jsonlines, parsed
     * @throws InterruptedException if interrupted
     */
    public static List<JsonObject> drain(Output output) throws InterruptedException {
        ChunkedBytesSupplier chunks = (ChunkedBytesSupplier) output.getData();
        StringBuilder text = new StringBuilder();
        while (chunks.hasNext()) {
            text.append(new String(chunks.nextChunk(60, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        }
        List<JsonObject> lines = new ArrayList<>();
        for (String line : text.toString().split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            lines.add(JsonParser.parseString(line).getAsJsonObject());
        }
        return lines;
    }

    /**
     * The independent reference: plain greedy decoding with the library's generator and the
     * checkpoint's own repetition control (generation_config.json), as Criteria and serving use it.
     *
     * @param dir the checkpoint
     * @param prompt the prompt
     * @param maxNewTokens how many tokens
     * @param exitLayer E (L for the full model), or 0 for L
     * @return the result
     * @throws IOException if loading fails
     */
    public static GenerationResult greedyReference(Path dir, String prompt, int maxNewTokens, int exitLayer)
            throws IOException {
        return greedyReference(dir, prompt, maxNewTokens, exitLayer, null);
    }

    /**
     * The reference with explicit repetition control.
     *
     * @param dir the checkpoint
     * @param prompt the prompt
     * @param maxNewTokens how many tokens
     * @param exitLayer E (L for the full model), or 0 for L
     * @param repetition the repetition control, or null for the checkpoint's
     * @return the result
     * @throws IOException if loading fails
     */
    public static GenerationResult greedyReference(Path dir, String prompt, int maxNewTokens, int exitLayer,
            RepetitionControl repetition) throws IOException {
        try (LoadedModel m = LoadedModel.load(dir, LoadOptions.CPU_FLOAT32)) {
            int e = exitLayer == 0 ? m.model().numLayers() : exitLayer;
            RepetitionControl control = repetition != null ? repetition : RepetitionControl.of(m.defaults());
            return new AutoregressiveGenerator(m.model(), m.tokenizer(), e).generate(m.tokenizer().encode(prompt),
                    GenerationConfig.greedy(maxNewTokens, m.defaults().eosTokenIds()).withRepetition(control),
                    TokenListener.NONE);
        }
    }
}
