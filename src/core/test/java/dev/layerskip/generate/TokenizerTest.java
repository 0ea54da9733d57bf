package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.tokenizer.HfTextTokenizer;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;

/** The fixture's tokenizer.json through DJL gives the ids its author computed, BOS included. */
class TokenizerTest {

    @Test
    void encodesAndDecodesTheGoldenCases() throws IOException {
        JsonObject golden = JsonParser.parseString(
                Files.readString(TestCheckpoints.LLAMA3.resolve("tokenizer_golden.json"))).getAsJsonObject();
        try (HfTextTokenizer tokenizer = HfTextTokenizer.load(TestCheckpoints.LLAMA3)) {
            for (JsonElement e : golden.getAsJsonArray("cases")) {
                JsonObject c = e.getAsJsonObject();
                int[] expected = c.getAsJsonArray("ids").asList().stream().mapToInt(JsonElement::getAsInt).toArray();
                String text = c.get("text").getAsString();
                assertArrayEquals(expected, tokenizer.encode(text), text);
                assertEquals(text, tokenizer.decode(expected));
            }
        }
    }
}
