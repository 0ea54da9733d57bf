package dev.layerskip.checkpoint;

import dev.layerskip.json.StrictJson;
import dev.layerskip.json.StrictJsonException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Generated hostile checkpoints (seeded): config.json values of the wrong type, out of range or
 * inconsistent with the tensors; config.json that is not strict JSON; layerskip.json out of range.
 * Every one must end in a CheckpointException that names the file and the key, before any large
 * allocation (an OutOfMemoryError or a minutes-long load fails the test by itself).
 */
class HostileCheckpointTest {

    private static final String[] INT_KEYS = {"hidden_size", "intermediate_size", "num_hidden_layers",
        "num_attention_heads", "num_key_value_heads", "head_dim", "vocab_size", "max_position_embeddings", "bos_token_id"};
    /** Hostile values for integer keys, as JSON text. */
    private static final String[] INT_VALUES = {"0", "-1", "2147483647", "67108864", "1000000", "40000000",
        "4.7", "1e3", "\"4\"", "[4]", "{\"v\": 4}", "true", "99999999999999999999999", "-2147483649"};

    /** The two generated configs that are legal (a long context for RoPE only, BOS id 0). */
    private static final java.util.Set<String> VALID = java.util.Set.of("max_position_embeddings=1000000", "bos_token_id=0");

    @TempDir static Path dir;
    private static Path valid;
    private static String validConfig;

    @BeforeAll
    static void writeValid() throws IOException {
        valid = dir.resolve("valid");
        TestCheckpoints.writeRandom(valid, TestCheckpoints.tinyConfig(), TensorDType.F32, Long.MAX_VALUE);
        validConfig = Files.readString(valid.resolve("config.json"));
    }

    private static Path copyWithConfig(String name, String configText) throws IOException {
        Path ckpt = dir.resolve(name);
        Files.createDirectories(ckpt);
        Files.copy(valid.resolve("model.safetensors"), ckpt.resolve("model.safetensors"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(ckpt.resolve("config.json"), configText);
        return ckpt;
    }

    private static String rejection(Path ckpt) {
        try (LoadedModel m = LoadedModel.load(ckpt, LoadOptions.CPU_FLOAT32)) {
            return null;
        } catch (CheckpointException e) {
            return e.getMessage();
        }
    }

    private static JsonObject config() throws StrictJsonException {
        return StrictJson.parse(validConfig).getAsJsonObject();
    }

    /** Every integer key x every hostile value: 9 x 14 = 126 generated configs. */
    @Test
    void integerKeysWithHostileValuesAreRefusedNamingTheKey() throws Exception {
        List<String> failures = new ArrayList<>();
        int cases = 0;
        for (String key : INT_KEYS) {
            for (String value : INT_VALUES) {
                JsonObject o = config();
                o.add(key, StrictJson.parse(value));
                String message = rejection(copyWithConfig("int-" + cases++, o.toString()));
                boolean typeError = !value.matches("-?[0-9]+");
                if (VALID.contains(key + "=" + value)) { // in bounds and consistent with the tensors: loads
                    if (message != null) {
                        failures.add(key + "=" + value + " should load -> " + message);
                    }
                    continue;
                }
                boolean ok = message != null && message.contains("config.json")
                        && (message.contains(key) || !typeError && message.contains("config.json implies")
                                || !typeError && message.contains("does not use"));
                if (!ok) {
                    failures.add(key + "=" + value + " -> " + message);
                }
            }
        }
        assertEquals(126, cases);
        assertEquals("", String.join("\n", failures));
    }

    /** Keys of other types given the wrong type or a non-finite/huge value: the message names the key and type. */
    @Test
    void typedKeysNameTheKeyAndTheExpectedType() throws Exception {
        String[][] cases = {
            {"hidden_act", "[\"silu\"]", "'hidden_act' must be a string, got an array"},
            {"hidden_act", "{\"name\": \"silu\"}", "'hidden_act' must be a string, got an object"},
            {"tie_word_embeddings", "\"yes\"", "'tie_word_embeddings' must be a boolean (true or false), got a string"},
            {"tie_word_embeddings", "1", "'tie_word_embeddings' must be a boolean"},
            {"attention_bias", "\"false\"", "'attention_bias' must be a boolean"},
            {"torch_dtype", "{}", "'torch_dtype' must be a string, got an object"},
            {"model_type", "7", "'model_type' must be a string, got a number (7)"},
            {"architectures", "\"LlamaForCausalLM\"", "'architectures' must be an array of strings"},
            {"architectures", "[7]", "'architectures' must be an array of strings"},
            {"rms_norm_eps", "1e308", "'rms_norm_eps' must be a finite number in"},
            {"rms_norm_eps", "0", "rms_norm_eps must be a small positive number in (0, 0.01], got 0.0"},
            {"rms_norm_eps", "-1e-5", "'rms_norm_eps' must be a finite number in"},
            {"rms_norm_eps", "1e999", "'rms_norm_eps' must be a finite number in"},
            {"rms_norm_eps", "\"1e-5\"", "'rms_norm_eps' must be a number, got a string"},
            {"rope_theta", "1e400", "'rope_theta' must be a finite number in"},
            {"rope_theta", "-10000", "'rope_theta' must be a finite number in"},
            {"rope_scaling", "[]", "'rope_scaling' must be an object, got an array"},
            {"rope_scaling", "{\"rope_type\": \"linear\"}", "'rope_scaling.factor' is missing"},
            {"rope_scaling", "{\"rope_type\": \"linear\", \"factor\": \"2\"}", "'rope_scaling.factor' must be a number"},
            {"rope_scaling", "{\"rope_type\": \"linear\", \"factor\": 1e300}", "'rope_scaling.factor' must be a finite number"},
            {"rope_scaling", "{\"rope_type\": 3}", "'rope_scaling.rope_type' must be a string"},
            {"rope_scaling", "{\"rope_type\": \"llama3\", \"factor\": 8, \"original_max_position_embeddings\": 8.5}",
                "'rope_scaling.original_max_position_embeddings' must be an integer"},
            {"eos_token_id", "\"2\"", "'eos_token_id' must be an integer token id or a list of them"},
            {"eos_token_id", "[2, 2.5]", "'eos_token_id' must be an integer token id"},
            {"eos_token_id", "[2, 4000000000]", "'eos_token_id' must be a token id in"},
            {"eos_token_id", "49", null},
        };
        List<String> failures = new ArrayList<>();
        int n = 0;
        for (String[] c : cases) {
            JsonObject o = config();
            o.add(c[0], StrictJson.parse(c[1]));
            String message = rejection(copyWithConfig("typed-" + n++, o.toString()));
            if (c[2] == null ? message != null : message == null || !message.contains(c[2])) {
                failures.add(c[0] + "=" + c[1] + " -> " + message);
            }
        }
        assertEquals("", String.join("\n", failures));
    }

    /** config.json that is not strict JSON: fixed cases plus 24 seeded truncations. */
    @Test
    void configThatIsNotStrictJsonIsRefused() throws Exception {
        List<String> texts = new ArrayList<>(List.of(
                "// a comment\n" + validConfig,
                validConfig.replaceFirst("\\{", "{ /* block */"),
                validConfig.replace("\"llama\"", "'llama'"),
                "\uFEFF" + validConfig,
                validConfig.replaceFirst("\\n}\\s*$", ",\n}"),
                validConfig.replaceFirst("\"model_type\"", "model_type"),
                validConfig.replace("\"rope_theta\": 10000.0", "\"rope_theta\": NaN"),
                validConfig.replace("\"rope_theta\": 10000.0", "\"rope_theta\": Infinity"),
                validConfig + " {}",
                validConfig.replaceFirst("\\{", "{\"vocab_size\": 50,"),
                "[" + validConfig + "]",
                "",
                "[".repeat(100_000)));
        Random random = new Random(11);
        for (int i = 0; i < 24; i++) {
            texts.add(validConfig.substring(0, 1 + random.nextInt(validConfig.trim().length() - 2)));
        }
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String message = rejection(copyWithConfig("syntax-" + i, texts.get(i)));
            boolean named = message != null && message.contains("config.json")
                    && (message.contains("malformed JSON") || message.contains("byte-order mark")
                            || message.contains("expected a JSON object"));
            if (!named || message.contains("setLenient") || message.contains("setStrictness") || message.contains("http")) {
                failures.add(i + ": " + message);
            }
        }
        assertEquals(37, texts.size());
        assertEquals("", String.join("\n", failures));
    }

    @Test
    void specificMessagesForStrictness() throws Exception {
        assertTrue(rejection(copyWithConfig("bom", "\uFEFF" + validConfig)).contains("byte-order mark"));
        assertTrue(rejection(copyWithConfig("dup", validConfig.replaceFirst("\\{", "{\"vocab_size\": 50,")))
                .contains("duplicate name \"vocab_size\""));
        String comment = rejection(copyWithConfig("comment", "// x\n" + validConfig));
        assertTrue(comment.contains("malformed JSON at line 1, column") && comment.contains("comments"), comment);
    }

    /** A config that uses fewer layers (or another head) than the checkpoint stores is refused, naming the tensors. */
    @Test
    void unusedTensorsAreAnError() throws Exception {
        JsonObject o = config();
        o.addProperty("num_hidden_layers", 2);
        String message = rejection(copyWithConfig("fewer-layers", o.toString()));
        assertTrue(message != null && message.contains("9 tensors that config.json does not use: model.layers.2.")
                && message.contains("it stores layers 0..2 but num_hidden_layers is 2"), message);
    }

    /** layerskip.json: fractions, strings, out-of-range exits and unknown keys name the file and key. */
    @Test
    void speculationDefaultsAreChecked() throws Exception {
        String[][] cases = {
            {"{\"exit_layer\": 4.7, \"num_speculations\": 2}", "'exit_layer' must be an integer, got a number (4.7)"},
            {"{\"exit_layer\": 3, \"num_speculations\": 2}", "'exit_layer' must be in 1..2, got 3"},
            {"{\"exit_layer\": 0, \"num_speculations\": 2}", "'exit_layer' must be in 1..2, got 0"},
            {"{\"exit_layer\": \"1\", \"num_speculations\": 2}", "'exit_layer' must be an integer, got a string"},
            {"{\"exit_layer\": 1, \"num_speculations\": 1e9}", "'num_speculations' must be an integer"},
            {"{\"exit_layer\": 1, \"num_speculations\": 100000}", "'num_speculations' must be in 1..256"},
            {"{\"exit_layer\": 1}", "required field 'num_speculations' is missing"},
            {"{\"exit_layer\": 1, \"num_speculations\": 2, \"draft\": 3}", "unknown key 'draft'"},
            {"{\"exit_layer\": 1, \"num_speculations\": 2, \"pipelined\": \"yes\"}",
                "'pipelined' must be a boolean (true or false), got a string"},
            {"{\"exit_layer\": 1, \"num_speculations\": 2, \"pipelined\": 1}", "'pipelined' must be a boolean"},
            {"{\"exit_layer\": 1, \"num_speculations\": 2", "malformed JSON"},
        };
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < cases.length; i++) {
            Path ckpt = copyWithConfig("spec-" + i, validConfig);
            Files.writeString(ckpt.resolve(SpeculationDefaults.FILE), cases[i][0]);
            String message = rejection(ckpt);
            if (message == null || !message.contains("layerskip.json") || !message.contains(cases[i][1])) {
                failures.add(cases[i][0] + " -> " + message);
            }
        }
        assertEquals("", String.join("\n", failures));
    }

    @Test
    void shardIndexValuesMustBeFileNames() throws Exception {
        Path ckpt = copyWithConfig("index", validConfig);
        Files.move(ckpt.resolve("model.safetensors"), ckpt.resolve("model-00001-of-00001.safetensors"));
        Files.writeString(ckpt.resolve(HfCheckpoint.INDEX_FILE), "{\"weight_map\": {\"model.norm.weight\": {\"file\": 1}}}");
        String message = rejection(ckpt);
        assertTrue(message != null && message.contains("model.safetensors.index.json: 'weight_map.model.norm.weight' must be"
                + " a file name string, got an object"), message);
    }

    @Test
    void parsedNumbersKeepTheirLiteral() throws Exception {
        JsonElement e = StrictJson.parse("[4, 4.0, 4e0, -0, 18446744073709551617]");
        assertTrue(StrictJson.isIntegerLiteral(e.getAsJsonArray().get(0)));
        assertTrue(!StrictJson.isIntegerLiteral(e.getAsJsonArray().get(1)));
        assertTrue(!StrictJson.isIntegerLiteral(e.getAsJsonArray().get(2)));
        assertTrue(StrictJson.isIntegerLiteral(e.getAsJsonArray().get(3)));
        assertEquals("18446744073709551617", StrictJson.integerValue(e.getAsJsonArray().get(4)).toString());
    }
}
