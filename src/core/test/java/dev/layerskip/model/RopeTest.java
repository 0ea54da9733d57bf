package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.LlamaConfigJson;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The scaled RoPE frequencies (llama3 and linear) equal the reference's, to double precision; the tables of
 * positions past the kept rows are computed to the same values.
 */
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

    @Test
    void positionsPastTheKeptTableAreComputedToTheSameValues() throws IOException {
        Path dir = TestCheckpoints.LLAMA3.getParent().resolve("tiny-llama3");
        JsonObject json = LlamaConfigJson.readObject(dir.resolve("config.json"));
        json.addProperty("max_position_embeddings", 3 * Rope.TABLE_POSITIONS);
        LlamaConfig config = LlamaConfigJson.parse(json, dir.resolve("config.json"));
        double[] inv = Rope.inverseFrequencies(config);
        int d = config.headDim();
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
            Rope rope = new Rope(m, config);
            int start = Rope.TABLE_POSITIONS - 3; // [start, start + 6) crosses the end of the kept rows
            NDArray[] crossing = rope.tables(m, start, 6); // each [1, 6, 1, headDim]
            assertEquals(new Shape(1, 6, 1, d), crossing[0].getShape());
            float[] cos = crossing[0].toFloatArray();
            float[] sin = crossing[1].toFloatArray();
            for (int p = 0; p < 6; p++) {
                for (int j = 0; j < d; j++) {
                    double angle = (start + p) * inv[j % (d / 2)];
                    assertEquals((float) Math.cos(angle), cos[p * d + j], 1e-6, "cos at position " + (start + p));
                    assertEquals((float) Math.sin(angle), sin[p * d + j], 1e-6, "sin at position " + (start + p));
                }
            }
            // the kept rows (sliced) and the same positions computed (gathered with an end past the table) agree
            NDArray[] kept = rope.tables(m, start, 3); // [1, 3, 1, headDim]
            NDArray positions = m.create(new long[] {start, start + 1, start + 2}, new Shape(1, 3)); // [rows, length]
            NDArray[] computed = rope.tables(positions, Rope.TABLE_POSITIONS + 1); // [1, 3, 1, headDim]
            assertArrayEquals(kept[0].toFloatArray(), computed[0].toFloatArray(), 1e-7f);
            assertArrayEquals(kept[1].toFloatArray(), computed[1].toFloatArray(), 1e-7f);
            assertArrayEquals(Arrays.copyOfRange(cos, 0, 3 * d), kept[0].toFloatArray(), 1e-7f);
        }
    }
}
