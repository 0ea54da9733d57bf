package dev.layerskip.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/** The one parser of strategy words: every form, and every malformed word named with the accepted forms. */
class StrategySpecTest {

    @Test
    void everyFormParsesAndPrintsBack() {
        Map<String, StrategySpec> forms = Map.of(
                "autoregressive", new StrategySpec(DecodingStrategy.AUTOREGRESSIVE, null, null),
                "early-exit:3", new StrategySpec(DecodingStrategy.EARLY_EXIT, 3, null),
                "self-speculative", new StrategySpec(DecodingStrategy.SELF_SPECULATIVE, null, null),
                "self-speculative:4:2", new StrategySpec(DecodingStrategy.SELF_SPECULATIVE, 4, 2));
        forms.forEach((text, spec) -> {
            assertEquals(spec, StrategySpec.parse(text));
            assertEquals(text, spec.toString());
        });
        assertEquals(new StrategySpec(DecodingStrategy.SELF_SPECULATIVE, 4, 2), StrategySpec.parse(" Self_Speculative: 4 :2 "));
        assertEquals(new DecodingSettings(DecodingStrategy.EARLY_EXIT, 3, null, null, false),
                StrategySpec.parse("early-exit:3").settings());
    }

    @Test
    void malformedWordsAreNamed() {
        for (String bad : List.of("fast", "autoregressive:3", "early-exit", "self-speculative:4", "self-speculative:4:x",
                "self-speculative:0:2", "self-speculative:4:0", "early-exit:3:1", "self-speculative:1:2:3", "")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StrategySpec.parse(bad), bad);
            assertEquals(true, e.getMessage().startsWith("expected autoregressive, early-exit:E, self-speculative or "
                    + "self-speculative:E:D, got '" + bad + "'"), e.getMessage());
        }
    }
}
