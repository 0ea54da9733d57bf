package dev.layerskip.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;

import dev.layerskip.generate.DecodingPlan;
import dev.layerskip.generate.DecodingSettings;
import dev.layerskip.generate.PassProfile;
import dev.layerskip.generate.PlanCalibration;
import dev.layerskip.generate.PlanNote;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.GenerationRequest;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.GenerationStats;
import dev.layerskip.generate.GenerationStatsJson;
import dev.layerskip.generate.Generator;
import dev.layerskip.generate.RequestFieldException;
import dev.layerskip.generate.SelfSpeculativeGenerator;
import dev.layerskip.generate.TokenListener;
import dev.layerskip.generate.Warmup;
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

    @Mixin DecodingOptions decoding;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxNewTokens = 64;

    @Mixin SamplingOptions samplingOptions;

    @Option(names = "--repetition-penalty", paramLabel = "R", description = "Divide positive (multiply negative) logits "
            + "of tokens already in the prompt or output by R > 0; 1 = off (default: the checkpoint's generation_config.json, else 1).")
    Double repetitionPenalty;

    @Option(names = "--no-repeat-ngram-size", paramLabel = "N", description = "Never repeat an N-gram of the prompt "
            + "and output; 0 = off (default: the checkpoint's generation_config.json, else 0).")
    Integer noRepeatNgramSize;

    @Option(names = "--stop", paramLabel = "TEXT", description = "Stop string (repeatable).")
    List<String> stops = List.of();

    @Option(names = "--json", description = "Print one JSON object instead of streaming text.")
    boolean json;

    @Option(names = "--show-drafts", description = "Streaming view of self-speculation: accepted drafts in green, "
            + "rejected drafts struck through in red, full-model tokens plain.")
    boolean showDrafts;

    @Option(names = "--warmup-ms", paramLabel = "MS", description = "Before the prompt, run the decoding plan on a"
            + " synthetic prompt for about this long so the generation runs at the warm speed; 0 = off (default: ${DEFAULT-VALUE}).")
    long warmupMillis = Warmup.DEFAULT_BUDGET_MILLIS;

    @Override
    public Integer call() throws Exception {
        GenerationRequest request = request();
        DecodingSettings settings = decoding.settings();
        modelOptions.refusePipelineOnGpu(settings.pipelined());
        try (LoadedModel loaded = modelOptions.load()) {
            int layers = loaded.model().numLayers();
            DecodingPlan plan = PlanCalibration.plan(settings, loaded.model(), loaded.speculationDefaults(), loaded.directory());
            Generator generator = plan.settings().build(loaded.model(), loaded.tokenizer(), loaded.speculationDefaults(),
                    loaded.directory());
            int[] ids = prompt.ids(loaded);
            double warmupMs = Warmup.run(generator, loaded.model().config().vocabSize(), warmupMillis);
            GenerationConfig config = request.config(loaded.defaults(), () -> samplingOptions.seed);
            PrintWriter out = spec.commandLine().getOut();
            TokenListener listener = json ? TokenListener.NONE
                    : showDrafts ? new DraftView(out, loaded.tokenizer()) : (id, text) -> {
                        out.print(text);
                        out.flush();
                    };
            GenerationResult result = generator.generate(ids, config, listener);
            if (json) {
                JsonObject o = toJson(result, generator);
                JsonObject load = loadJson(loaded);
                load.addProperty("warmup_ms", warmupMs);
                o.add("load", load);
                if (plan.calibrated()) {
                    o.add("plan", planJson(plan.estimate()));
                }
                if (plan.note() != PlanNote.NONE) {
                    o.addProperty("plan_note", plan.note().text());
                }
                out.println(new GsonBuilder().disableHtmlEscaping().create().toJson(o));
            } else {
                out.println();
                GenerationStats s = result.stats();
                String spec = generator instanceof SelfSpeculativeGenerator g
                        ? String.format(", acceptance %.2f over %d rounds", s.acceptanceRate(), s.rounds()) : "";
                this.spec.commandLine().getErr().printf("[%d tokens, %.1f tokens/s, %s, exit layer %d/%d%s, finish %s]%n",
                        result.tokenIds().length, s.tokensPerSecond(), settings.strategy().cliName(), generator.exitLayer(),
                        layers, spec, result.finishReason().name().toLowerCase(java.util.Locale.ROOT));
            }
        }
        return 0;
    }

    /**
     * The flags as the core request (greedy unless --temperature is above 0); a value out of range is an error naming
     * its flag.
     */
    private GenerationRequest request() {
        if (samplingOptions.temperature < 0) {
            throw new IllegalArgumentException("--temperature must be >= 0 (0 = greedy), got " + samplingOptions.temperature);
        }
        boolean sample = samplingOptions.temperature > 0;
        try {
            return GenerationRequest.builder().optMaxNewTokens(maxNewTokens).optDoSample(sample)
                    .optTemperature(sample ? samplingOptions.temperature : null).optTopK(samplingOptions.topK)
                    .optTopP(samplingOptions.topP).optSeed(samplingOptions.seed).optStopSequences(stops)
                    .optRepetitionPenalty(repetitionPenalty).optNoRepeatNgramSize(noRepeatNgramSize).build();
        } catch (RequestFieldException e) {
            String flag = "--" + e.field().replace('_', '-').replace("stop-sequences", "stop");
            throw new IllegalArgumentException(flag + " " + e.problem(), e);
        }
    }

    /**
     * @param e a calibrated plan
     * @return what calibration chose and predicted, and the pass costs it measured
     */
    static JsonObject planJson(DecodingPlan.Estimate e) {
        JsonObject o = new JsonObject();
        o.addProperty("num_speculations", e.numSpeculations());
        o.addProperty("pipelined", e.pipelined());
        o.addProperty("predicted_speedup", e.predictedSpeedup());
        o.addProperty("rounds_num_speculations", e.roundsDrafts());
        o.addProperty("rounds_predicted_speedup", e.roundsSpeedup());
        o.addProperty("pipeline_num_speculations", e.pipelineDrafts());
        o.addProperty("pipeline_predicted_speedup", e.pipelineSpeedup());
        o.addProperty("assumed_acceptance", e.acceptance());
        PassProfile c = e.costs();
        o.addProperty("calibration_ms", c.calibrationMs());
        o.addProperty("full_step_ms", c.fullStepMs());
        o.addProperty("draft_step_ms", c.draftStepMs());
        o.addProperty("verify_ms_1_position", c.upper(1));
        o.addProperty("verify_ms_" + c.rows() + "_positions", c.upper(c.rows()));
        o.addProperty("drafter_slowdown_beside_verifier", c.drafterSlowdown());
        o.addProperty("verifier_slowdown_beside_drafter", c.verifierSlowdown());
        return o;
    }

    /**
     * @param loaded a loaded model
     * @return how it was loaded: seconds, bytes of weights held, weight type and layout
     */
    static JsonObject loadJson(LoadedModel loaded) {
        JsonObject o = new JsonObject();
        o.addProperty("seconds", loaded.loadSeconds());
        o.addProperty("weight_bytes", loaded.model().weightBytes());
        o.addProperty("stored_dtype", loaded.storedType().name());
        o.addProperty("dtype", ModelOptions.dtypeName(loaded.model()));
        o.addProperty("weight_layout", loaded.model().layout().name().toLowerCase(java.util.Locale.ROOT));
        o.addProperty("kv_cache_dtype", loaded.model().kvCacheType().label());
        return o;
    }

    private JsonObject toJson(GenerationResult r, Generator generator) {
        GenerationStats s = r.stats();
        JsonObject o = new JsonObject();
        o.addProperty("text", r.text());
        o.add("prompt_token_ids", Json.ints(r.promptIds()));
        o.add("token_ids", Json.ints(r.tokenIds()));
        o.addProperty("new_tokens", r.tokenIds().length);
        o.addProperty("finish_reason", r.finishReason().name().toLowerCase(java.util.Locale.ROOT));
        GenerationStatsJson.add(o, decoding.strategy, generator, s);
        return o;
    }
}
