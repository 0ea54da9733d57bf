package dev.layerskip.djl;

import static dev.layerskip.djl.DjlTestSupport.drain;
import static dev.layerskip.djl.DjlTestSupport.request;

import ai.djl.inference.Predictor;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.repository.zoo.ZooModel;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.generate.NativeMemoryTestSupport;
import dev.layerskip.model.LlamaModel;

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

    @Test
    void thousandRequestsStayFlat() throws Exception {
        Map<String, String> tiny = Map.of("checkpoint", TestCheckpoints.LLAMA3.toAbsolutePath().toString());
        try (ZooModel<Input, Output> model = DjlTestSupport.loadLikeDjlServing(DjlTestSupport.SERVING_CONFIG, tiny)) {
            // the weights, and every generation's sub-manager, live in the block's own manager
            BaseNDManager manager = (BaseNDManager) ((LlamaModel) model.getBlock()).manager();
            try (Predictor<Input, Output> p = model.newPredictor()) {
                NativeMemoryTestSupport.assertFlat(manager, 400, 1000, i -> {
                    Output out = p.predict(request(BODIES[i % BODIES.length]));
                    if (i % BODIES.length == 1) {
                        drain(out);
                    } else {
                        out.getData().getAsBytes();
                    }
                }, "requests");
            }
        }
    }
}
