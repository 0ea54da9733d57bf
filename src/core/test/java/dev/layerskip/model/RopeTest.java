package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.checkpoint.LlamaConfigJson;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The scaled RoPE frequencies (llama3 and linear) equal the reference's, to double precision. */
class RopeTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama3", "tiny-llama2"})
    void inverseFrequenciesMatchTheReference(String name) throws IOException {
        Path dir = TestCheckpoints.LLAMA3.getParent().resolve(name);
        JsonObject golden = JsonParser.parseString(Files.readString(dir.resolve("golden.json"))).getAsJsonObject();
        JsonArray expected = golden.getAsJsonArray("rope_inv_freq");
        double[] actual = Rope.inverseFrequencies(LlamaConfigJson.read(dir.resolve("config.json")));
        assertEquals(expected.size(), actual.length);
        for (int i = 0; i < actual.length; i++) {
            double e = expected.get(i).getAsDouble();
            assertEquals(e, actual[i], 1e-7 * Math.abs(e), name + " frequency " + i);
        }
    }
}
