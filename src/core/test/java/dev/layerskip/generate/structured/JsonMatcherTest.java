package dev.layerskip.generate.structured;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The JSON matcher against an independent parser (Gson) and an independent JSON Schema validator
 * (networknt): random walks through what it allows always end in documents both accept, the shortest
 * completion of any prefix does too, and known invalid documents are refused.
 */
class JsonMatcherTest {

    static final String PERSON = "{\"type\": \"object\", \"properties\": {"
            + "\"name\": {\"type\": \"string\"}, \"age\": {\"type\": \"integer\"}, \"height\": {\"type\": \"number\"},"
            + "\"nick\": {\"type\": [\"string\", \"null\"]}, \"admin\": {\"type\": \"boolean\"},"
            + "\"colour\": {\"enum\": [\"red\", \"green\", \"blue\"]}, \"tags\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}},"
            + "\"address\": {\"$ref\": \"#/$defs/Address\"}},"
            + "\"required\": [\"name\", \"age\", \"address\"], \"additionalProperties\": false,"
            + "\"$defs\": {\"Address\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"},"
            + "\"zip\": {\"type\": \"integer\"}}, \"required\": [\"city\"], \"additionalProperties\": false}}}";
    private static final String ALPHABET = " \n{}[]\":,-+.0123456789eEtrufalsnbdcgihkmopqvwxyz\\/AZ_é";

    private static Schema validator(String schema) {
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema);
    }

    /** A document drawn at random among what the matcher allows, finished within the budget. */
    static String randomDocument(JsonMatcher start, Random random, int budget) {
        StringBuilder text = new StringBuilder();
        JsonMatcher s = start;
        while (!s.complete()) {
            List<Character> allowed = new ArrayList<>();
            List<JsonMatcher> next = new ArrayList<>();
            int left = budget - text.length() - 1;
            for (char c : ALPHABET.toCharArray()) {
                JsonMatcher t = s.step(c);
                if (t != null && t.completionLength() <= left) {
                    allowed.add(c);
                    next.add(t);
                }
            }
            assertTrue(!allowed.isEmpty(), "stuck after " + text + " (completion " + s.completion() + ")");
            int pick = random.nextInt(allowed.size());
            text.append(allowed.get(pick));
            s = next.get(pick);
        }
        return text.toString();
    }

    @Test
    void randomDocumentsParseAndValidate() {
        JsonObject schema = JsonParser.parseString(PERSON).getAsJsonObject();
        JsonMatcher start = JsonMatcher.start(SchemaParser.parse(schema));
        Schema check = validator(PERSON);
        Schema anyObject = validator("{\"type\": \"object\"}");
        JsonMatcher free = JsonMatcher.start(SchemaParser.anyObject());
        Random random = new Random(23);
        for (int i = 0; i < 300; i++) {
            int budget = 60 + random.nextInt(200);
            String doc = randomDocument(start, random, budget);
            assertTrue(doc.length() <= budget, doc);
            JsonParser.parseString(doc).getAsJsonObject(); // Gson parses it
            assertEquals(List.of(), check.validate(doc, InputFormat.JSON), doc);
            String any = randomDocument(free, random, 10 + random.nextInt(120));
            JsonParser.parseString(any).getAsJsonObject();
            assertEquals(List.of(), anyObject.validate(any, InputFormat.JSON), any);
        }
    }

    @Test
    void theShortestCompletionOfEveryPrefixIsAValidDocument() {
        JsonMatcher start = JsonMatcher.start(SchemaParser.parse(JsonParser.parseString(PERSON).getAsJsonObject()));
        Schema check = validator(PERSON);
        Random random = new Random(5);
        for (int i = 0; i < 40; i++) {
            String doc = randomDocument(start, random, 200);
            for (int cut = 0; cut <= doc.length(); cut++) {
                JsonMatcher s = start.step(doc.substring(0, cut));
                String finished = doc.substring(0, cut) + s.completion();
                assertEquals(s.completion().length(), s.completionLength());
                assertTrue(start.step(finished).complete(), finished);
                assertEquals(List.of(), check.validate(finished, InputFormat.JSON), finished);
            }
        }
        assertEquals("{\"name\":\"\",\"age\":0,\"address\":{\"city\":\"\"}}", start.completion());
    }

    @Test
    void invalidDocumentsAreRefusedAtTheirFirstWrongCharacter() {
        JsonMatcher start = JsonMatcher.start(SchemaParser.parse(JsonParser.parseString(PERSON).getAsJsonObject()));
        for (String bad : List.of("[", "{\"age\"", "{\"name\":1", "{\"name\":\"a\",}", "{\"name\":\"a\",\"age\":01",
                "{\"name\":\"a\",\"age\":1.5", "{\"name\":\"a\",\"age\":1,\"address\":{},", "{\"name\":\"a\"}",
                "{\"name\":\"a\",\"age\":1,\"address\":{\"city\":\"x\"},\"colour\":\"pink\"",
                "{\"name\":\"a\",\"age\":1,\"address\":{\"city\":\"x\"},\"extra\"", "{\"name\":\"\u0001",
                "{\"name\":\"\\q", "{\"name\":\"a\",\"age\":1,\"address\":{\"city\":\"x\"}}x", " ".repeat(17))) {
            assertNull(start.step(bad), bad);
        }
        assertNotNull(start.step("  {\n  \"name\": \"\\u00e9\\n\",\n  \"age\": -12"));
        assertTrue(start.step("{\"name\":\"a\",\"age\":1,\"address\":{\"city\":\"x\"}}").complete());
    }

    @Test
    void unsupportedSchemasAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SchemaParser.parse(JsonParser.parseString("{\"type\": \"object\", \"properties\": {\"a\": "
                        + "{\"$ref\": \"http://x/y\"}}}").getAsJsonObject()));
        assertEquals("schema.properties.a.$ref: only local references into $defs or definitions are supported, got "
                + "\"http://x/y\"", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SchemaParser.parse(JsonParser.parseString(
                "{\"type\": \"string\"}").getAsJsonObject()));
        assertThrows(IllegalArgumentException.class, () -> SchemaParser.parse(JsonParser.parseString(
                "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"string\"}}, \"required\": [\"b\"]}")
                .getAsJsonObject()));
        assertThrows(IllegalArgumentException.class, () -> SchemaParser.parse(JsonParser.parseString(
                "{\"$defs\": {\"T\": {\"type\": \"object\", \"properties\": {\"t\": {\"$ref\": \"#/$defs/T\"}},"
                        + " \"required\": [\"t\"]}}, \"$ref\": \"#/$defs/T\"}").getAsJsonObject()));
    }
}
