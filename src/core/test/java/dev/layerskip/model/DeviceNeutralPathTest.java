package dev.layerskip.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.TestCheckpoints;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;

/**
 * The device-neutral path is what a CUDA tensor takes: plain float32 projections (no oneDNN packing, so no mkldnn
 * call in the fused helper's products), selectable on the CPU. The core module's "device-neutral" test execution
 * sets {@value TestCheckpoints#LAYOUT_PROPERTY}=plain and runs the golden, equality, sampling and memory suites
 * through {@link TestCheckpoints#float32()}; this test checks that those options give that path.
 */
class DeviceNeutralPathTest {

    @Test
    void thePlainLayoutHoldsOnlyPlainProjections() throws IOException {
        assertPlain(new LoadOptions(Device.cpu(), DataType.FLOAT32, WeightLayout.PLAIN));
        if (TestCheckpoints.layout() == WeightLayout.PLAIN) { // the device-neutral execution: its suites' options too
            assertPlain(TestCheckpoints.float32());
        }
    }

    private static void assertPlain(LoadOptions options) throws IOException {
        try (LoadedModel loaded = LoadedModel.load(TestCheckpoints.LLAMA3, options)) {
            assertEquals(WeightLayout.PLAIN, loaded.model().layout());
            List<Projection> projections = loaded.model().projections(); // q/k/v, o, gate/up, down per layer, head
            assertEquals(4 * loaded.model().numLayers() + 1, projections.size());
            for (Projection p : projections) {
                assertInstanceOf(PlainProjection.class, p);
                assertEquals(DataType.FLOAT32, p.weight().getDataType());
            }
        }
    }
}
