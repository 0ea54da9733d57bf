package dev.layerskip.protocol.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import java.util.List;

/** Text ends before the first stop sequence, also when the sequence arrives split over several deltas. */
class StopTrimmerTest {

    @Test
    void holdsBackAPossibleStartAndCutsBeforeTheStop() {
        StopTrimmer t = new StopTrimmer(List.of("\n\n", "END"));
        assertEquals("a", t.accept("abc"), "2 characters held back: they could start 'END'");
        assertEquals("b", t.accept("\n"));
        assertEquals("c", t.accept("\nmore"), "the stop \\n\\n at index 3 ends the text before it");
        assertTrue(t.stopped());
        assertEquals("", t.accept("ignored"));
        assertEquals("", t.finish());
        assertEquals("abc", t.sent());
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        StopTrimmer t = new StopTrimmer(List.of("xyz", "y"));
        StringBuilder out = new StringBuilder(t.accept("axyz"));
        out.append(t.finish());
        assertEquals("a", out.toString(), "xyz starts at 1, before y at 2");
    }

    @Test
    void withoutStopEverythingIsSentByTheEnd() {
        StopTrimmer t = new StopTrimmer(List.of());
        assertEquals("abc", t.accept("abc"));
        assertEquals("", t.finish());
        assertFalse(t.stopped());
        assertEquals("abc", t.sent());
    }
}
