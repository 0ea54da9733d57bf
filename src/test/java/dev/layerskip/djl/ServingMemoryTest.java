package dev.layerskip.djl;

import static dev.layerskip.djl.DjlTestSupport.drain;
import static dev.layerskip.djl.DjlTestSupport.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.repository.zoo.ZooModel;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.generate.NativeMemoryTestSupport;

import org.junit.jupiter.api.Test;

import java.util.Map;

/** 1,000 serving requests (plain, streamed, rejected) leave no arrays behind and keep resident memory flat. */
class ServingMemoryTest {

    private static final String[] BODIES = {
        "{\"inputs\": \"hello\", \"parameters\": {\"max_new_tokens\": 4}}",
        "{\"inputs\": \"hello\", \"parameters\": {\"max_new_tokens\": 4, \"exit_layer\": 1, \"num_speculations\": 2}, \"stream\": true}",
        "{\"inputs\": \"hello\", \"parameters\": {\"max_new_tokens\": 4, \"do_sample\": true, \"seed\": 1, \"strategy\": \"early-exit\", \"exit_layer\": 2}}",
        "{\"inputs\": \"hello\", \"parameters\": {\"max_new_tokens\": \"four\"}}",
    };

    private static void serve(ZooModel<Input, Output> model, int n) throws Exception {
        try (Predictor<Input, Output> p = model.newPredictor()) {
            for (int i = 0; i < n; i++) {
                Output out = p.predict(request(BODIES[i % BODIES.length]));
                if (i % BODIES.length == 1) {
                    drain(out);
                } else {
                    out.getData().getAsBytes();
                }
            }
        }
    }

    @Test
    void thousandRequestsStayFlat() throws Exception {
        Map<String, String> tiny = Map.of("checkpoint", TestCheckpoints.LLAMA3.toAbsolutePath().toString());
        try (ZooModel<Input, Output> model = DjlTestSupport.loadLikeDjlServing(DjlTestSupport.SERVING_CONFIG, tiny)) {
            BaseNDManager manager = (BaseNDManager) model.getNDManager();
            serve(model, 400); // the native allocator's pools settle during warm-up
            int arrays = manager.getManagedArrays().size();
            System.gc();
            long before = NativeMemoryTestSupport.residentKiB();
            serve(model, 1000);
            System.gc();
            long growth = NativeMemoryTestSupport.residentKiB() - before;
            assertEquals(arrays, manager.getManagedArrays().size(), "arrays left in the model's manager");
            assertTrue(growth < 32 * 1024, "resident memory grew by " + growth + " KiB over 1,000 requests");
        }
    }
}
