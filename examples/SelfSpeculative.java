import ai.djl.inference.Predictor;
import ai.djl.repository.zoo.ZooModel;

import dev.layerskip.djl.LayerSkipCriteria;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.GenerationStats;

import java.nio.file.Path;

/**
 * Self-speculative decoding with its statistics: the first E layers draft d tokens, the remaining layers
 * verify them in one pass over the shared KV cache. The greedy text equals the full model's; the
 * speed-up depends on how many drafts are accepted.
 *
 * <pre>java -cp target/layerskip.jar examples/SelfSpeculative.java [checkpoint-dir] [E] [d]</pre>
 */
public class SelfSpeculative {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "models/layerskip-demo");
        String prompt = "def fibonacci(n):\n";
        GenerationResult full = run(dir, prompt, "autoregressive", null, null);
        GenerationResult spec = run(dir, prompt, "self-speculative",
                args.length > 1 ? Integer.valueOf(args[1]) : null, args.length > 2 ? Integer.valueOf(args[2]) : null);
        GenerationStats s = spec.stats();
        System.out.println(prompt + spec.text());
        System.out.printf("self-speculative: %d rounds, %d drafted, %d accepted (acceptance %.2f), %.1f tokens/s%n",
                s.rounds(), s.drafted(), s.accepted(), s.acceptanceRate(), s.tokensPerSecond());
        System.out.printf("autoregressive:   %.1f tokens/s; speed-up %.2fx; same text: %b%n",
                full.stats().tokensPerSecond(), s.tokensPerSecond() / full.stats().tokensPerSecond(),
                full.text().equals(spec.text()));
    }

    private static GenerationResult run(Path dir, String prompt, String strategy, Integer exit, Integer d)
            throws Exception {
        var criteria = LayerSkipCriteria.builder(String.class, GenerationResult.class)
                .optModelPath(dir)
                .optArgument("strategy", strategy)
                .optArgument("max_new_tokens", 64);
        if (exit != null) {
            criteria.optArgument("exit_layer", exit);
        }
        if (d != null) {
            criteria.optArgument("num_speculations", d);
        }
        try (ZooModel<String, GenerationResult> model = criteria.build().loadModel();
                Predictor<String, GenerationResult> predictor = model.newPredictor()) {
            predictor.predict(prompt); // warm-up
            return predictor.predict(prompt);
        }
    }
}
