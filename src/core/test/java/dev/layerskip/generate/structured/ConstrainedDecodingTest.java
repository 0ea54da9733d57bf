package dev.layerskip.generate.structured;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;

import dev.layerskip.generate.AutoregressiveGenerator;
import dev.layerskip.generate.DraftLength;
import dev.layerskip.generate.FinishReason;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.Generator;
import dev.layerskip.generate.RepetitionControl;
import dev.layerskip.generate.SamplingConfig;
import dev.layerskip.generate.SelfSpeculativeGenerator;
import dev.layerskip.generate.TokenListener;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Constrained decoding on the demo (a 4M-parameter Python model that has never seen JSON): every greedy and
 * sampled generation under a schema parses and validates with an independent validator, and self-speculative
 * output (rounds and pipeline) is token for token constrained autoregressive output.
 */
class ConstrainedDecodingTest {

    static final String SCHEMA = ConstrainedDecodingTestSchemas.PERSON;
    private static final String[] PROMPTS = {"def read_lines(path):", "import os\n", "class Config:\n", "x = {", "# data\n"};
    private static LoadedModel demo;
    private static JsonConstraint constraint;

    @BeforeAll
    static void load() throws IOException {
        demo = LoadedModel.load(Path.of("models/layerskip-demo"), LoadOptions.CPU_FLOAT32);
        constraint = new JsonConstraint(SchemaParser.parse(JsonParser.parseString(SCHEMA).getAsJsonObject()),
                TokenTexts.of(demo.tokenizer(), demo.model().config().vocabSize()), demo.defaults().eosTokenIds());
    }

    @AfterAll
    static void close() {
        demo.close();
    }

    private static GenerationConfig config(int tokens, SamplingConfig sampling) {
        return new GenerationConfig(tokens, sampling, demo.defaults().eosTokenIds(), List.of(), RepetitionControl.NONE)
                .withConstraint(constraint);
    }

    @Test
    void everyGenerationIsAValidDocument() {
        Schema check = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(SCHEMA);
        Generator ar = new AutoregressiveGenerator(demo.model(), demo.tokenizer(), demo.model().numLayers());
        for (int i = 0; i < 100; i++) {
            SamplingConfig sampling = i < PROMPTS.length ? SamplingConfig.GREEDY : new SamplingConfig(1.0, 0, 1.0, i);
            int tokens = 34 + (i % 5) * 12; // the shortest document has 33 characters, then end-of-sequence
            GenerationResult r = ar.generate(demo.tokenizer().encode(PROMPTS[i % PROMPTS.length]), config(tokens, sampling),
                    TokenListener.NONE);
            String text = r.text();
            try {
                JsonParser.parseString(text).getAsJsonObject();
            } catch (RuntimeException e) {
                StringBuilder pieces = new StringBuilder();
                for (int id : r.tokenIds()) {
                    pieces.append('[').append(demo.tokenizer().decode(new int[] {id})).append(']');
                }
                throw new AssertionError("request " + i + " (" + r.finishReason() + ", " + r.tokenIds().length + " of "
                        + tokens + " tokens): " + text + "\n" + pieces, e);
            }
            assertEquals(List.of(), check.validate(text, InputFormat.JSON), "request " + i + ": " + text);
            assertEquals(FinishReason.EOS, r.finishReason(), "whole within the budget, then end-of-sequence");
        }
        assertEquals(34, JsonConstraint.tokensNeeded(SchemaParser.parse(JsonParser.parseString(SCHEMA).getAsJsonObject())));
    }

    @Test
    void selfSpeculativeOutputIsConstrainedAutoregressiveOutput() {
        Generator ar = new AutoregressiveGenerator(demo.model(), demo.tokenizer(), demo.model().numLayers());
        for (String prompt : PROMPTS) {
            int[] ids = demo.tokenizer().encode(prompt);
            GenerationResult reference = ar.generate(ids, config(48, SamplingConfig.GREEDY), TokenListener.NONE);
            for (boolean pipelined : new boolean[] {false, true}) {
                GenerationResult r = new SelfSpeculativeGenerator(demo.model(), demo.tokenizer(), 4, new DraftLength.Fixed(3))
                        .withPipeline(pipelined).generate(ids, config(48, SamplingConfig.GREEDY), TokenListener.NONE);
                assertArrayEquals(reference.tokenIds(), r.tokenIds(), prompt + (pipelined ? " pipeline" : " rounds"));
                assertTrue(r.stats().accepted() > 0, "drafts under the constraint are accepted too");
            }
        }
    }
}
