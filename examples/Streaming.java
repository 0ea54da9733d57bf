import ai.djl.inference.Predictor;
import ai.djl.inference.streaming.ChunkedBytesSupplier;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.repository.zoo.ZooModel;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import dev.layerskip.djl.LayerSkipCriteria;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Streaming: the same Input/Output path DJL Serving uses. An LMI request with "stream": true comes back
 * as application/jsonlines, one line per token as it is generated; the last line carries the whole
 * text and the details (finish reason, acceptance rate, ...).
 *
 * <pre>java -cp target/layerskip.jar examples/Streaming.java [checkpoint-dir]</pre>
 */
public class Streaming {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "models/layerskip-demo");
        String request = "{\"inputs\": \"class Stack:\\n    def __init__(self):\\n\", \"parameters\": {\"max_new_tokens\": 40, \"details\": true}, \"stream\": true}";
        try (ZooModel<Input, Output> model = LayerSkipCriteria.builder(Input.class, Output.class)
                        .optModelPath(dir).build().loadModel();
                Predictor<Input, Output> predictor = model.newPredictor()) {
            Input input = new Input();
            input.addProperty("Content-Type", "application/json");
            input.add("data", request.getBytes(StandardCharsets.UTF_8));
            Output output = predictor.predict(input);
            ChunkedBytesSupplier chunks = (ChunkedBytesSupplier) output.getData();
            System.out.print("class Stack:\n    def __init__(self):\n");
            while (chunks.hasNext()) {
                String line = new String(chunks.nextChunk(1, TimeUnit.MINUTES), StandardCharsets.UTF_8);
                if (line.isBlank()) {
                    continue; // the stream ends with an empty chunk
                }
                JsonObject o = JsonParser.parseString(line).getAsJsonObject();
                System.out.print(o.getAsJsonObject("token").get("text").getAsString());
                System.out.flush();
                if (o.has("details")) {
                    System.out.println("\n" + o.get("details"));
                }
            }
        }
    }
}
