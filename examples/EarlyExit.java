import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;

import dev.layerskip.djl.LayerSkipCriteria;
import dev.layerskip.generate.GenerationResult;

import java.nio.file.Path;

/**
 * Early exit: run only the first E layers and the shared LM head for every token. Faster, and on a
 * LayerSkip-trained model still sensible text; compare it with the full model at every exit.
 *
 * <pre>java -cp target/layerskip.jar examples/EarlyExit.java [checkpoint-dir]</pre>
 */
public class EarlyExit {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "models/layerskip-demo");
        String prompt = "def __init__(self, name, value):";
        for (int exit : new int[] {2, 4, 6, 0}) {
            var criteria = LayerSkipCriteria.builder(String.class, GenerationResult.class)
                    .optModelPath(dir)
                    .optArgument("max_new_tokens", 32);
            criteria = exit == 0
                    ? criteria.optArgument("strategy", "autoregressive")
                    : criteria.optArgument("strategy", "early-exit").optArgument("exit_layer", exit);
            try (ZooModel<String, GenerationResult> model = criteria.build().loadModel();
                    Predictor<String, GenerationResult> predictor = model.newPredictor()) {
                predictor.predict(prompt); // warm-up
                GenerationResult r = predictor.predict(prompt);
                System.out.printf("%-10s %7.1f tokens/s | %s%n", exit == 0 ? "full" : "exit " + exit,
                        r.stats().tokensPerSecond(), r.text().replace("\n", "\\n"));
            }
        }
    }
}
