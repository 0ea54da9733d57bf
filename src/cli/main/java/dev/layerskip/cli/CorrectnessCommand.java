package dev.layerskip.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;

import dev.layerskip.generate.AutoregressiveGenerator;
import dev.layerskip.generate.DecodingSettings;
import dev.layerskip.generate.DecodingStrategy;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.Generator;
import dev.layerskip.generate.RepetitionControl;
import dev.layerskip.generate.TokenListener;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;

/** {@code correctness}: greedy self-speculative vs autoregressive over a prompt set, counting differing outputs. */
@Command(name = "correctness", mixinStandardHelpOptions = true,
        description = "Compare greedy self-speculative output with autoregressive output over a prompt set.")
final class CorrectnessCommand implements Callable<Integer> {

    @Spec CommandSpec spec;
    @Mixin BenchModelOptions bench;

    @Mixin SpeculationOptions speculation;

    @Option(names = "--repetition-penalty", paramLabel = "R",
            description = "Compare with this repetition penalty applied to both (default: ${DEFAULT-VALUE} = off).")
    double repetitionPenalty = 1.0;

    @Option(names = "--no-repeat-ngram-size", paramLabel = "N",
            description = "Compare with this n-gram ban applied to both (default: ${DEFAULT-VALUE} = off).")
    int noRepeatNgramSize = 0;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        bench.modelOptions.refusePipelineOnGpu(speculation.pipelined);
        try (BenchModelOptions.Opened m = bench.open()) {
            DecodingSettings settings = speculation.settings(DecodingStrategy.SELF_SPECULATIVE);
            Generator spec = settings.build(m.model, null, m.defaults, m.directory);
            Generator reference = new AutoregressiveGenerator(m.model, null, m.model.numLayers());
            GenerationConfig config = GenerationConfig.greedy(bench.newTokens, m.model.config().eosTokenIds())
                    .withRepetition(RepetitionControl.of(repetitionPenalty, noRepeatNgramSize));
            int differing = 0;
            for (int[] prompt : m.prompts) {
                int[] a = reference.generate(prompt, config, TokenListener.NONE).tokenIds();
                int[] b = spec.generate(prompt, config, TokenListener.NONE).tokenIds();
                if (!Arrays.equals(a, b)) {
                    differing++;
                }
            }
            PrintWriter out = this.spec.commandLine().getOut();
            if (json) {
                JsonObject o = new JsonObject();
                o.addProperty("prompts", m.prompts.size());
                o.addProperty("differing", differing);
                o.addProperty("exit_layer", spec.exitLayer());
                out.println(new GsonBuilder().create().toJson(o));
            } else {
                out.printf("%d of %d prompts differ between self-speculative (E=%d) and autoregressive greedy output%n",
                        differing, m.prompts.size(), spec.exitLayer());
            }
            return differing == 0 ? 0 : 3;
        }
    }
}
