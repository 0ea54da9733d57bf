package dev.layerskip.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class HalfFloatsTest {

    @Test
    void bf16RoundsToNearestEvenAndWidensExactly() {
        assertEquals((short) 0x3f80, HalfFloats.floatToBf16(1.0f));
        assertEquals(1.0f, HalfFloats.bf16ToFloat((short) 0x3f80));
        // 1 + 2^-8 is exactly half way between bf16 neighbours 1 and 1 + 2^-7: ties to even (1.0)
        assertEquals((short) 0x3f80, HalfFloats.floatToBf16(1.0f + 0x1p-8f));
        assertEquals((short) 0x3f81, HalfFloats.floatToBf16(1.0f + 0x1p-8f + 0x1p-20f));
        assertEquals(-2.0f, HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(-2.0f)));
    }

    @Test
    void halfRoundTripsAndHandlesSubnormalsAndOverflow() {
        assertEquals((short) 0x3c00, HalfFloats.floatToHalf(1.0f));
        assertEquals((short) 0xc000, HalfFloats.floatToHalf(-2.0f));
        assertEquals((short) 0x7bff, HalfFloats.floatToHalf(65504f));
        assertEquals((short) 0x7c00, HalfFloats.floatToHalf(1e6f));
        assertEquals((short) 0x0001, HalfFloats.floatToHalf(0x1p-24f));
        assertEquals(0x1p-24f, HalfFloats.halfToFloat((short) 0x0001));
        assertEquals(65504f, HalfFloats.halfToFloat((short) 0x7bff));
        assertEquals(0.333251953125f, HalfFloats.halfToFloat(HalfFloats.floatToHalf(1f / 3)));
        for (int bits = 0; bits < 0x7c00; bits += 7) {
            float v = HalfFloats.halfToFloat((short) bits);
            assertEquals((short) bits, HalfFloats.floatToHalf(v), "half bits " + bits);
        }
    }
}
