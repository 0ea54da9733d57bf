package dev.layerskip.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.NDArray;
import ai.djl.repository.zoo.ZooModel;

import dev.layerskip.checkpoint.HfCheckpointWriter;
import dev.layerskip.checkpoint.TensorDType;
import dev.layerskip.djl.DjlTestSupport;
import dev.layerskip.djl.LayerSkipCriteria;
import dev.layerskip.model.DecoderLayer;
import dev.layerskip.model.LlamaWeights;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A checkpoint whose weights are finite but overflow in the forward pass (every attention output
 * projection scaled to Float.MAX_VALUE): over HTTP the generation ends with a clear error instead of
 * token 0 forever; streamed, the last line has finish_reason "error". Also: a prompt too long for the
 * context in bytes is refused before it is tokenized.
 */
class NonFiniteServingTest {

    @TempDir Path dir;

    private Path poisonedDemo() throws Exception {
        Path out = dir.resolve("poisoned");
        // plain weights: they are edited and saved (packed weights serve products only)
        LoadOptions plain = new LoadOptions(ai.djl.Device.cpu(), ai.djl.ndarray.types.DataType.FLOAT32,
                dev.layerskip.model.WeightLayout.PLAIN);
        try (LoadedModel m = LoadedModel.load(DjlTestSupport.DEMO, plain)) {
            for (DecoderLayer layer : m.model().layers()) {
                NDArray o = layer.attention().out().getArray();
                o.divi(o.abs().max().getFloat()).muli(Float.MAX_VALUE); // |w| <= Float.MAX_VALUE: finite
            }
            HfCheckpointWriter.write(out, m.model().config(), LlamaWeights.toHf(m.model(), TensorDType.F32), Long.MAX_VALUE);
        }
        try (var files = Files.list(DjlTestSupport.DEMO)) {
            for (Path p : files.toList()) {
                String name = p.getFileName().toString();
                if (!name.equals("config.json") && !name.equals("model.safetensors")) {
                    Files.copy(p, out.resolve(name));
                }
            }
        }
        return out;
    }

    @Test
    void nonFiniteLogitsEndTheRequestWithAClearError() throws Exception {
        try (ZooModel<Input, Output> model = LayerSkipCriteria.builder(Input.class, Output.class)
                        .optModelPath(poisonedDemo()).optArgument("dtype", "FLOAT32").build().loadModel();
                EmbeddedServer s = EmbeddedServer.start(model, new ServerConfig("127.0.0.1", 0, "demo", 1, 1, 1 << 20,
                        Duration.ofSeconds(30), Duration.ofSeconds(5)))) {
            RawHttp.Reply plain = RawHttp.send(s.port(), RawHttp.post("/invocations", "{\"inputs\": \"def \"}"));
            assertEquals(500, plain.status(), plain.body());
            assertTrue(plain.isJsonError() && plain.body().contains("the model produced non-finite logits (NaN or infinity)"),
                    plain.body());
            RawHttp.Reply streamed = RawHttp.send(s.port(), RawHttp.post("/invocations", "{\"inputs\": \"def \", \"stream\": true}")
                    .getBytes(StandardCharsets.UTF_8), 10_000);
            assertEquals(200, streamed.status());
            List<String> lines = streamed.body().lines().filter(l -> !l.isBlank()).toList();
            String last = lines.get(lines.size() - 1);
            assertTrue(last.contains("\"finish_reason\":\"error\"") && last.contains("non-finite logits"), last);
        }
    }

    @Test
    void aPromptTooLongInBytesIsRefusedBeforeTokenizing() throws Exception {
        try (ZooModel<Input, Output> model = LayerSkipCriteria.builder(Input.class, Output.class)
                        .optModelPath(DjlTestSupport.DEMO).build().loadModel();
                EmbeddedServer s = EmbeddedServer.start(model, new ServerConfig("127.0.0.1", 0, "demo", 1, 1, 2 << 20,
                        Duration.ofSeconds(30), Duration.ofSeconds(5)))) {
            RawHttp.Reply r = RawHttp.send(s.port(), RawHttp.post("/invocations", "{\"inputs\": \"" + "ab ".repeat(350_000) + "\"}")
                    .getBytes(StandardCharsets.UTF_8), 10_000);
            assertEquals(400, r.status(), r.body());
            assertTrue(r.body().contains("'inputs': the prompt is 1050000 bytes, more than the context of 1024 tokens can hold"
                    + " (at most 64 bytes per token)"), r.body());
        }
    }
}
