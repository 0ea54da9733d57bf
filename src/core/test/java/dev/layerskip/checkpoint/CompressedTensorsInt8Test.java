package dev.layerskip.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code quantization_config} of int8 checkpoints: what this project writes reads back, other tools' variants of
 * the same scheme load, and every other quantization is refused naming its field.
 */
class CompressedTensorsInt8Test {

    private static final Path FILE = Path.of("ckpt/config.json");

    /** One change to a valid config: where (dot path, "*" the only group), the new JSON value, the message part. */
    private record Mutation(String path, String json, String message) {}

    @Test
    void writtenConfigReadsBackAndTheHeadCanBeQuantizedToo() throws CheckpointException {
        assertNull(CompressedTensorsInt8.read(new JsonObject(), FILE));
        assertEquals(CompressedTensorsInt8.PROJECTIONS_ONLY, CompressedTensorsInt8.read(config(), FILE));
        JsonObject all = config();
        all.getAsJsonObject("quantization_config").remove("ignore");
        assertTrue(CompressedTensorsInt8.read(all, FILE).headQuantized());
        JsonObject weightOnly = config(); // W8A16: no activation quantization declared
        group(weightOnly).remove("input_activations");
        assertEquals(CompressedTensorsInt8.PROJECTIONS_ONLY, CompressedTensorsInt8.read(weightOnly, FILE));
    }

    @Test
    void everyOtherQuantizationIsRefusedNamingTheField() {
        List<Mutation> mutations = List.of(
                new Mutation("quant_method", "\"gptq\"", "'quantization_config.quant_method' is 'gptq'"),
                new Mutation("quant_method", "null", "'quantization_config.quant_method' is missing"),
                new Mutation("format", "\"pack-quantized\"", "'quantization_config.format' is 'pack-quantized'"),
                new Mutation("format", "\"float-quantized\"", "'quantization_config.format' is 'float-quantized'"),
                new Mutation("quantization_status", "\"frozen\"", "'quantization_config.quantization_status' is 'frozen'"),
                new Mutation("kv_cache_scheme", "{\"num_bits\": 8}", "'quantization_config.kv_cache_scheme' is set"),
                new Mutation("config_groups", "{}", "'quantization_config.config_groups' must hold exactly one group"),
                new Mutation("*.targets", "[\"Linear\", \"Embedding\"]", "targets' must be [\"Linear\"]"),
                new Mutation("*.weights.num_bits", "4", "weights.num_bits' must be 8"),
                new Mutation("*.weights.type", "\"float\"", "'quantization_config.config_groups.group_0.weights.type' is 'float'"),
                new Mutation("*.weights.strategy", "\"group\"", "'quantization_config.config_groups.group_0.weights.strategy' is 'group'"),
                new Mutation("*.weights.strategy", "\"tensor\"", "weights.strategy' is 'tensor'"),
                new Mutation("*.weights.symmetric", "false", "weights.symmetric' must be true"),
                new Mutation("*.weights.dynamic", "true", "weights.dynamic' must be false"),
                new Mutation("*.input_activations.dynamic", "false", "input_activations' is static"),
                new Mutation("ignore", "[\"lm_head\", \"model.layers.0.mlp.down_proj\"]", "may list only \"lm_head\""),
                new Mutation("ignore", "\"lm_head\"", "'quantization_config.ignore' must be a list"));
        for (Mutation m : mutations) {
            JsonObject c = config();
            set(c, m.path(), JsonParser.parseString(m.json()));
            CheckpointException e = assertThrows(CheckpointException.class, () -> CompressedTensorsInt8.read(c, FILE), m.path());
            assertTrue(e.getMessage().contains(m.message()), m.path() + " = " + m.json() + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(FILE.toString()), e.getMessage());
        }
        JsonObject twoGroups = config();
        twoGroups.getAsJsonObject("quantization_config").getAsJsonObject("config_groups").add("group_1", group(config()));
        CheckpointException e = assertThrows(CheckpointException.class, () -> CompressedTensorsInt8.read(twoGroups, FILE));
        assertTrue(e.getMessage().contains("must hold exactly one group (int8 Linear weights), got 2"), e.getMessage());
    }

    private static JsonObject config() {
        JsonObject c = new JsonObject();
        c.add("quantization_config", CompressedTensorsInt8.PROJECTIONS_ONLY.toJson());
        return c;
    }

    private static JsonObject group(JsonObject config) {
        return config.getAsJsonObject("quantization_config").getAsJsonObject("config_groups").getAsJsonObject("group_0");
    }

    private static void set(JsonObject config, String path, JsonElement value) {
        JsonObject at = config.getAsJsonObject("quantization_config");
        String[] keys = path.split("\\.");
        for (int i = 0; i < keys.length - 1; i++) {
            at = keys[i].equals("*") ? group(config) : at.getAsJsonObject(keys[i]);
        }
        at.add(keys[keys.length - 1], value);
    }
}
