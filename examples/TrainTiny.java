import dev.layerskip.eval.LayerPerplexity;
import dev.layerskip.train.LayerSkipTrainer;
import dev.layerskip.train.TrainConfig;
import dev.layerskip.train.TrainConfigJson;
import dev.layerskip.train.TrainingProgress;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Training a tiny LayerSkip model: layer dropout (exp over layers, ramped over steps) and the
 * early-exit loss (rotational curriculum) on a directory of source files, then the held-out
 * perplexity at every exit. The output is a Hugging Face checkpoint directory.
 *
 * <pre>java -cp target/layerskip.jar examples/TrainTiny.java [corpus-dir] [output-dir] [steps]</pre>
 */
public class TrainTiny {

    public static void main(String[] args) throws Exception {
        Path corpus = Path.of(args.length > 0 ? args[0] : "src/core/main/java").toAbsolutePath();
        Path out = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("layerskip-tiny");
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        String recipe = """
                {
                  "output_dir": "%s",
                  "model": {"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 160,
                            "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
                            "vocab_size": 4096, "max_position_embeddings": 128, "bos_token_id": 1,
                            "eos_token_id": 2, "tie_word_embeddings": true},
                  "tokenizer": "models/layerskip-demo",
                  "data": {"paths": ["%s"], "extensions": [".java"], "held_out_fraction": 0.1, "seq_len": 64,
                           "cache_dir": "%s"},
                  "optim": {"steps": %d, "batch_size": 4, "lr": 0.005, "warmup_steps": 5},
                  "seed": 1,
                  "layer_dropout": {"p_max": 0.1, "per_layer": "exp", "per_step": "linear", "ramp_steps": %d},
                  "early_exit": {"enabled": true, "scale": "sum_l", "e_scale": 0.2, "curriculum": "rotational", "rotation": 2},
                  "eval_batches": 4,
                  "save_dtype": "f32"
                }
                """.formatted(out.resolve("run"), corpus, out.resolve("cache"), steps, steps);
        Path file = out.resolve("recipe.json");
        Files.writeString(file, recipe);
        TrainConfig config = TrainConfigJson.read(file, Map.of());
        LayerSkipTrainer trainer = new LayerSkipTrainer(config, new TrainingProgress() {
            @Override
            public void onStep(long step, long total, double loss, double[] perExit, double lr, double tokensPerSecond) {
                if (step % 10 == 0 || step == total) {
                    System.out.printf("step %d/%d loss %.3f (%.0f tokens/s)%n", step, total, loss, tokensPerSecond);
                }
            }

            @Override
            public void onEval(long step, List<LayerPerplexity> layers) {
                StringBuilder line = new StringBuilder("held-out perplexity per exit:");
                layers.forEach(l -> line.append(String.format(" %d:%.1f", l.exitLayer(), l.perplexity())));
                System.out.println(line);
            }
        });
        List<Double> losses = trainer.run(false);
        System.out.printf("first loss %.3f, last loss %.3f; checkpoint in %s%n", losses.get(0),
                losses.get(losses.size() - 1), config.outputDir().resolve("model"));
    }
}
