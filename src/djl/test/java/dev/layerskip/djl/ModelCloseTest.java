package dev.layerskip.djl;

import static dev.layerskip.djl.DjlTestSupport.drain;
import static dev.layerskip.djl.DjlTestSupport.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.inference.Predictor;
import ai.djl.inference.streaming.ChunkedBytesSupplier;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.ZooModel;

import com.google.gson.JsonObject;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** Closing a model while it streams cancels the generation and waits for it before the weights are freed. */
class ModelCloseTest {

    @Test
    void closingDuringAStreamCancelsItFirst() throws Exception {
        ZooModel<Input, Output> model = LayerSkipCriteria.builder(Input.class, Output.class)
                .optModelPath(DjlTestSupport.DEMO).build().loadModel();
        GenerationService service = ((LayerSkipServingTranslator) model.getTranslator()).service();
        Output out;
        try (Predictor<Input, Output> p = model.newPredictor()) {
            out = p.predict(request("{\"inputs\": \"def \", \"parameters\": {\"max_new_tokens\": 1000,"
                    + " \"strategy\": \"autoregressive\", \"details\": true}, \"stream\": true}"));
        }
        ((ChunkedBytesSupplier) out.getData()).nextChunk(60, TimeUnit.SECONDS); // generation is running
        assertEquals(1, service.activeGenerations());
        model.close();
        assertEquals(0, service.activeGenerations(), "close() returned only after the generation ended");
        List<JsonObject> rest = drain(out);
        JsonObject last = rest.get(rest.size() - 1);
        assertEquals("cancelled", last.getAsJsonObject("details").get("finish_reason").getAsString());
        assertTrue(last.getAsJsonObject("details").get("generated_tokens").getAsInt() < 1000);
    }
}
