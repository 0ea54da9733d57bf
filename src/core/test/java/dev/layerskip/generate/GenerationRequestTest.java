package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.checkpoint.GenerationDefaults;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/** The one request model: every range checked once and named by its key, merging, and what it resolves to. */
class GenerationRequestTest {

    /** generation_config.json of a checkpoint: EOS 2 and 7, repetition penalty 1.3, no 3-gram repeats. */
    private static final GenerationDefaults CHECKPOINT = new GenerationDefaults(1, List.of(2, 7), false, 1.0, 0, 1.0, 1.3, 3);

    @TestFactory
    Stream<DynamicTest> everyOutOfRangeValueNamesItsField() {
        Map<String, UnaryOperator<GenerationRequestBuilder>> cases = new LinkedHashMap<>();
        cases.put("max_new_tokens must be >= 1, got 0", b -> b.optMaxNewTokens(0));
        cases.put("temperature must be > 0, got 0.0", b -> b.optTemperature(0.0));
        cases.put("temperature must be > 0, got -0.5", b -> b.optTemperature(-0.5));
        cases.put("temperature must be > 0, got NaN", b -> b.optTemperature(Double.NaN));
        cases.put("temperature must be > 0, got Infinity", b -> b.optTemperature(Double.POSITIVE_INFINITY));
        cases.put("top_k must be >= 0 (0 = off), got -1", b -> b.optTopK(-1));
        cases.put("top_p must be in (0, 1], got 0.0", b -> b.optTopP(0.0));
        cases.put("top_p must be in (0, 1], got 1.5", b -> b.optTopP(1.5));
        cases.put("stop_sequences[1] must not be empty", b -> b.optStopSequences(List.of("\n\n", "")));
        cases.put("exit_layer must be >= 1, got 0", b -> b.optExitLayer(0));
        cases.put("num_speculations must be >= 1, got 0", b -> b.optNumSpeculations(0));
        cases.put("draft_confidence must be in (0, 1) or \"auto\", got 1.0", b -> b.optDraftConfidence("1"));
        cases.put("draft_confidence must be in (0, 1) or \"auto\", got often", b -> b.optDraftConfidence("often"));
        cases.put("repetition_penalty must be > 0 (1 = off), got 0.0", b -> b.optRepetitionPenalty(0.0));
        cases.put("no_repeat_ngram_size must be >= 0 (0 = off), got -2", b -> b.optNoRepeatNgramSize(-2));
        cases.put("presence_penalty must be in [-2, 2], got 2.5", b -> b.optPresencePenalty(2.5));
        cases.put("frequency_penalty must be in [-2, 2], got -2.01", b -> b.optFrequencyPenalty(-2.01));
        cases.put("truncate must be >= 1 (prompt tokens kept), got 0", b -> b.optTruncate(0));
        return cases.entrySet().stream().map(c -> DynamicTest.dynamicTest(c.getKey(), () -> {
            RequestFieldException e = assertThrows(RequestFieldException.class,
                    () -> c.getValue().apply(GenerationRequest.builder()).build());
            assertEquals(c.getKey(), e.getMessage());
            assertTrue(c.getKey().startsWith(e.field() + " "), e.field());
            assertEquals(c.getKey(), e.field() + " " + e.problem());
        }));
    }

    @Test
    void boundaryValuesAreAccepted() {
        GenerationRequest r = GenerationRequest.builder().optMaxNewTokens(1).optTemperature(1e-6).optTopK(0).optTopP(1.0)
                .optExitLayer(1).optNumSpeculations(1).optDraftConfidence("0.5").optRepetitionPenalty(1.0)
                .optNoRepeatNgramSize(0).optPresencePenalty(-2.0).optFrequencyPenalty(2.0).optTruncate(1).build();
        assertEquals(0.5, r.draftConfidence());
        assertFalse(r.adaptiveDrafts());
        assertTrue(GenerationRequest.builder().optDraftConfidence(" AUTO ").build().adaptiveDrafts());
    }

    @Test
    void aRequestOverDefaultsTakesItsOwnValuesFirst() {
        GenerationRequest defaults = GenerationRequest.builder().optMaxNewTokens(128).optDoSample(false).optTemperature(0.7)
                .optTopK(40).optSeed(9L).optStopSequences(List.of("###")).optRepetitionPenalty(1.1).build();
        GenerationRequest own = GenerationRequest.builder().optMaxNewTokens(16).optDoSample(true).optTopP(0.9)
                .optIgnoreEos(true).build();
        GenerationRequest merged = own.orElse(defaults);
        assertEquals(16, merged.maxNewTokens());
        assertEquals(Boolean.TRUE, merged.doSample());
        assertEquals(0.7, merged.temperature());
        assertEquals(40, merged.topK());
        assertEquals(0.9, merged.topP());
        assertEquals(9L, merged.seed());
        assertEquals(List.of("###"), merged.stopSequences());
        assertEquals(1.1, merged.repetitionPenalty());
        assertNull(merged.noRepeatNgramSize());
        assertTrue(merged.ignoreEos());
        assertEquals(List.of("\n"), GenerationRequest.builder().optStopSequences(List.of("\n")).build()
                .orElse(defaults).stopSequences());
    }

    @Test
    void theConfigIsGreedyUnlessSampledAndTakesTheCheckpointsRepetitionControl() {
        GenerationConfig greedy = GenerationRequest.NONE.config(CHECKPOINT, () -> 99);
        assertEquals(GenerationRequest.DEFAULT_MAX_NEW_TOKENS, greedy.maxNewTokens());
        assertEquals(SamplingConfig.GREEDY, greedy.sampling());
        assertEquals(List.of(2, 7), greedy.eosTokenIds());
        assertEquals(RepetitionControl.of(1.3, 3), greedy.repetition());
        assertEquals(LogprobOptions.NONE, greedy.logprobs());

        GenerationConfig sampled = GenerationRequest.builder().optDoSample(true).optTopK(5).optIgnoreEos(true)
                .optRepetitionPenalty(1.0).optNoRepeatNgramSize(0).optPresencePenalty(0.5)
                .optLogprobs(LogprobOptions.tokens(3)).build().config(CHECKPOINT, () -> 99);
        assertEquals(new SamplingConfig(1.0, 5, 1.0, 99), sampled.sampling());
        assertEquals(List.of(), sampled.eosTokenIds());
        assertEquals(RepetitionControl.of(1.0, 0).withOpenAiPenalties(0.5, 0), sampled.repetition());
        assertEquals(LogprobOptions.tokens(3), sampled.logprobs());
        assertEquals(12L, GenerationRequest.builder().optDoSample(true).optSeed(12L).build()
                .config(CHECKPOINT, () -> 99).sampling().seed());
    }

    @Test
    void decodingKeepsTheDefaultsOfTheSameStrategyOnly() {
        DecodingSettings base = new DecodingSettings(DecodingStrategy.SELF_SPECULATIVE, 4, 3, null, true, 512)
                .withPipeline(Boolean.TRUE);
        assertTrue(GenerationRequest.NONE.decoding(base).isEmpty());

        DecodingSettings d = GenerationRequest.builder().optNumSpeculations(2).build().decoding(base).orElseThrow();
        assertEquals(new DecodingSettings(DecodingStrategy.SELF_SPECULATIVE, 4, 2, null, true, 512)
                .withPipeline(Boolean.TRUE), d);

        DecodingSettings early = GenerationRequest.builder().optStrategy(DecodingStrategy.EARLY_EXIT).build()
                .decoding(base).orElseThrow();
        assertEquals(new DecodingSettings(DecodingStrategy.EARLY_EXIT, null, null, null, false, null)
                .withPipeline(Boolean.FALSE), early);

        DecodingSettings confident = GenerationRequest.builder().optDraftConfidence("0.4").build().decoding(base)
                .orElseThrow();
        assertEquals(new DecodingSettings(DecodingStrategy.SELF_SPECULATIVE, 4, 3, 0.4, false, 512)
                .withPipeline(Boolean.FALSE), confident);
    }
}
