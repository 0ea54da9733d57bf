package dev.layerskip.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;

import dev.layerskip.generate.AutoregressiveGenerator;
import dev.layerskip.generate.DecodingStrategy;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.Generator;
import dev.layerskip.generate.SamplingConfig;
import dev.layerskip.generate.TokenListener;
import dev.layerskip.model.LoadedModel;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code generate}: continue a prompt, streaming text or printing one JSON object. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a continuation with autoregressive, early-exit or self-speculative decoding.")
final class GenerateCommand implements Callable<Integer> {

    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;
    @ArgGroup(exclusive = true, multiplicity = "1") PromptOptions prompt;

    @Option(names = "--strategy", paramLabel = "NAME", converter = StrategyConverter.class,
            description = "autoregressive, early-exit or self-speculative (default: autoregressive).")
    DecodingStrategy strategy = DecodingStrategy.AUTOREGRESSIVE;

    @Option(names = "--exit-layer", paramLabel = "E", description = "Exit layer E in 1..L (early-exit default: L/2).")
    Integer exitLayer;

    @Option(names = "--num-speculations", paramLabel = "D", description = "Drafted tokens per round (self-speculative).")
    Integer numSpeculations;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxNewTokens = 64;

    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature = 0;

    @Option(names = "--top-k", paramLabel = "K", description = "Top-k filter, 0 = off (default: ${DEFAULT-VALUE}).")
    int topK = 0;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus filter in (0, 1] (default: ${DEFAULT-VALUE}).")
    double topP = 1.0;

    @Option(names = "--seed", paramLabel = "S", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop string (repeatable).")
    List<String> stops = List.of();

    @Option(names = "--json", description = "Print one JSON object instead of streaming text.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        SamplingConfig sampling = new SamplingConfig(temperature, topK, topP, seed);
        try (LoadedModel loaded = modelOptions.load()) {
            int layers = loaded.model().numLayers();
            int exit = resolveExitLayer(layers);
            int[] ids = prompt.ids(loaded);
            GenerationConfig config = new GenerationConfig(maxNewTokens, sampling, loaded.defaults().eosTokenIds(), stops);
            Generator generator = new AutoregressiveGenerator(loaded.model(), loaded.tokenizer(), exit);
            PrintWriter out = spec.commandLine().getOut();
            TokenListener listener = json ? TokenListener.NONE : (id, text) -> {
                out.print(text);
                out.flush();
            };
            GenerationResult result = generator.generate(ids, config, listener);
            if (json) {
                out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(toJson(result, exit)));
            } else {
                out.println();
                spec.commandLine().getErr().printf("[%d tokens, %.1f tokens/s, %s, exit layer %d/%d, finish %s]%n",
                        result.tokenIds().length, result.stats().tokensPerSecond(), strategy.cliName(), exit,
                        layers, result.finishReason().name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        return 0;
    }

    private int resolveExitLayer(int layers) {
        switch (strategy) {
            case AUTOREGRESSIVE:
                if (exitLayer != null && exitLayer != layers) {
                    throw new IllegalArgumentException("--exit-layer " + exitLayer
                            + " needs --strategy early-exit (autoregressive uses all " + layers + " layers)");
                }
                return layers;
            case EARLY_EXIT:
                int e = exitLayer == null ? Math.max(1, layers / 2) : exitLayer;
                if (e < 1 || e > layers) {
                    throw new IllegalArgumentException("--exit-layer " + e + " is outside 1.." + layers);
                }
                return e;
            case SELF_SPECULATIVE:
            default:
                throw new IllegalArgumentException("--strategy self-speculative is not available yet");
        }
    }

    private JsonObject toJson(GenerationResult r, int exit) {
        JsonObject o = new JsonObject();
        o.addProperty("text", r.text());
        o.add("prompt_token_ids", Json.ints(r.promptIds()));
        o.add("token_ids", Json.ints(r.tokenIds()));
        o.addProperty("new_tokens", r.tokenIds().length);
        o.addProperty("finish_reason", r.finishReason().name().toLowerCase(java.util.Locale.ROOT));
        o.addProperty("elapsed_ms", r.stats().elapsedMillis());
        o.addProperty("prefill_ms", r.stats().prefillNanos() / 1e6);
        o.addProperty("tokens_per_second", r.stats().tokensPerSecond());
        o.addProperty("decode_tokens_per_second", r.stats().decodeTokensPerSecond());
        o.addProperty("strategy", strategy.cliName());
        o.addProperty("exit_layer", exit);
        return o;
    }
}
