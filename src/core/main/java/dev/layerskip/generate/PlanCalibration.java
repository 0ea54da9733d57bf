package dev.layerskip.generate;

import ai.djl.Device;

import dev.layerskip.checkpoint.SpeculationDefaults;
import dev.layerskip.model.DeviceThreads;
import dev.layerskip.model.LlamaModel;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Chooses the self-speculative plan (the draft length d, and rounds or the two-thread pipeline) from
 * the cost of the passes measured on the loaded weights ({@link PassProfile}), for what neither the
 * user nor the checkpoint's {@code layerskip.json} fixes. Self-speculative decoding
 * (<a href="https://arxiv.org/abs/2404.16710">Elhoushi et al., 2024</a>, §4.2) only pays when a round
 * costs less than the tokens it yields, and what a pass costs depends on the machine: on a CPU,
 * verifying d+1 positions of packed 16-bit weights costs about one step, while a small model is bound
 * by per-call overhead, where the pipeline hides verification behind drafting.
 *
 * <p>The model, with a the drafter's pass (layers [0, E) over one position), h' the draft head, u(k)
 * layers [E, L) and the full head over k positions, and α the probability that a draft is accepted
 * (drafts accepted independently, Leviathan et al., 2023):
 * <ul>
 *   <li>a full step: a + u(1);
 *   <li>a round of d drafts: d·(a + h') + a + u(d+1), yielding (1 − α^(d+1)) / (1 − α) tokens;
 *   <li>the pipeline of depth d, with each thread's pass slowed by the other's (measured on two threads
 *       at once): a token every max(a + h', u(d) / d), plus, after each of the 1 − α rejections per
 *       token, a bubble of one draft step and one verification of one position.
 * </ul>
 * The plan with the most tokens per ms wins; the pipeline must beat rounds by {@link #PIPELINE_MARGIN}
 * (rounds also serve sampled requests and batches) and needs two processors. A GPU model decodes in rounds
 * ({@link DeviceThreads}): the plan says so ({@link PlanNote#ROUNDS_ON_GPU}) when the checkpoint or the
 * calibration was left to choose, and an explicit pipeline is refused.
 */
public final class PlanCalibration {

    /** The acceptance the plan assumes when choosing d (the demo measures 0.83-0.94 on its task files). */
    public static final double ASSUMED_ACCEPTANCE = 0.8;
    /** The longest draft considered. */
    public static final int MAX_DRAFTS = 8;
    /** How much faster the pipeline must be predicted to be than rounds to be chosen. */
    public static final double PIPELINE_MARGIN = 1.05;
    /** How errors name the setting that asks for the pipeline. */
    static final String PIPELINE_SETTING = "speculative_pipeline/--pipelined";
    /** Positions in the cache while passes are timed. */
    private static final int CONTEXT = 32;
    /** The fewest timed runs per pass (the median is kept), after one warm-up run: costly passes run twice in all. */
    private static final int REPEATS = 1;
    /** Cheap passes are timed again until this many ms are spent on each: their median is then a warm one. */
    private static final double BUDGET_MS = 30;
    /** A layer cheaper than this (ms) is bound by per-call overhead, which the JVM's compiler still lowers at load. */
    private static final double CHEAP_LAYER_MS = 2;
    /** How long full steps run before timing, on such models, so that the decoding path is compiled. */
    private static final double COMPILE_MS = 150;

    private PlanCalibration() {}

    /**
     * Resolves what the settings and the checkpoint leave open by calibration: d when neither fixes it,
     * rounds or the pipeline when neither fixes that (a draft confidence or adaptive drafts mean rounds).
     *
     * @param settings the user's settings
     * @param model the loaded model
     * @param defaults the checkpoint's {@code layerskip.json}
     * @param directory the checkpoint directory (for a draft vocabulary), or null
     * @return the plan: the settings with every choice made, and the estimate when something was calibrated
     * @throws IllegalArgumentException if a setting does not fit the model, naming it (the pipeline on a GPU
     *     included)
     * @throws IllegalStateException if the passes cannot run, naming the settings that skip calibration
     */
    public static DecodingPlan plan(DecodingSettings settings, LlamaModel model, Optional<SpeculationDefaults> defaults,
            Path directory) {
        if (settings.strategy() != DecodingStrategy.SELF_SPECULATIVE) {
            return new DecodingPlan(settings, null);
        }
        ScheduleChoice schedule = schedule(settings, defaults, model.manager().getDevice());
        Boolean fixedPipeline = schedule.fixedPipeline();
        boolean fixedDrafts = settings.numSpeculations() != null || defaults.isPresent();
        if (fixedDrafts && fixedPipeline != null) {
            return new DecodingPlan(schedule.note() == PlanNote.NONE ? settings : settings.withPipeline(Boolean.FALSE), null,
                    schedule.note());
        }
        int e = settings.resolveExitLayer(model.numLayers(), defaults);
        DraftScorer drafter = settings.drafter(model, defaults, directory);
        PassProfile profile;
        try {
            profile = measure(model, e, drafter, MAX_DRAFTS + 1);
        } catch (RuntimeException ex) {
            throw new IllegalStateException("timing the passes to choose the self-speculative plan failed (" + ex.getMessage()
                    + "); fix num_speculations and speculative_pipeline (--num-speculations, --pipelined/--no-pipelined)"
                    + " to skip this calibration", ex);
        }
        Integer d = fixedDrafts ? settings.resolveDraftLength(defaults).max() : null;
        DecodingPlan.Estimate estimate = choose(profile, ASSUMED_ACCEPTANCE, d, fixedPipeline,
                Runtime.getRuntime().availableProcessors());
        DecodingSettings chosen = new DecodingSettings(settings.strategy(), settings.exitLayer(),
                estimate.numSpeculations(), settings.draftConfidence(), settings.adaptiveDrafts(), settings.draftVocab(),
                estimate.pipelined());
        return new DecodingPlan(chosen, estimate, schedule.note());
    }

    /**
     * Rounds or the pipeline, when something other than the calibration fixes it.
     *
     * @param fixedPipeline true: the pipeline, false: rounds, null: left to the calibration
     * @param note what the device decided ({@link PlanNote#ROUNDS_ON_GPU}), else {@link PlanNote#NONE}
     */
    public record ScheduleChoice(Boolean fixedPipeline, PlanNote note) {

        /** Validates the note. */
        public ScheduleChoice {
            if (note == null) {
                throw new IllegalArgumentException("note must not be null (PlanNote.NONE for none)");
            }
            if (note == PlanNote.ROUNDS_ON_GPU && !Boolean.FALSE.equals(fixedPipeline)) {
                throw new IllegalArgumentException("ROUNDS_ON_GPU fixes rounds (fixedPipeline false), got " + fixedPipeline);
            }
        }
    }

    /**
     * Who fixes rounds or the pipeline, from values alone (no engine call: testable with a GPU device anywhere):
     * the user's setting, else rounds for a draft confidence or adaptive drafts, else rounds on a GPU (noted),
     * else the checkpoint's {@code layerskip.json}, else nobody (the calibration chooses).
     *
     * @param settings the user's settings (self-speculative)
     * @param defaults the checkpoint's {@code layerskip.json}
     * @param device the model's device
     * @return the choice
     * @throws IllegalArgumentException naming {@code speculative_pipeline} when the settings ask for the pipeline on
     *     a GPU
     */
    public static ScheduleChoice schedule(DecodingSettings settings, Optional<SpeculationDefaults> defaults, Device device) {
        DeviceThreads.requirePipelineAllowed(device, settings.pipelined(), PIPELINE_SETTING);
        if (settings.pipelined() != null) {
            return new ScheduleChoice(settings.pipelined(), PlanNote.NONE);
        }
        if (settings.draftConfidence() != null || settings.adaptiveDrafts()) {
            return new ScheduleChoice(Boolean.FALSE, PlanNote.NONE);
        }
        if (!DeviceThreads.pipelineAllowedOn(device)) {
            return new ScheduleChoice(Boolean.FALSE, PlanNote.ROUNDS_ON_GPU);
        }
        return new ScheduleChoice(defaults.map(SpeculationDefaults::pipelined).orElse(null), PlanNote.NONE);
    }

    /**
     * Times the passes at exit E on the loaded weights: two runs of each pass on a 1B model, about 30 ms of
     * runs of each on small ones (after ~150 ms of full steps so that the JVM has compiled the path).
     *
     * @param model the model
     * @param exitLayer E in 1..L-1
     * @param drafter the draft head
     * @param rows the larger position count verified, at least 2
     * @return the costs
     */
    public static PassProfile measure(LlamaModel model, int exitLayer, DraftScorer drafter, int rows) {
        long t0 = System.nanoTime();
        int layers = model.numLayers();
        int context = Math.max(1, Math.min(CONTEXT, model.config().maxPositions() - rows));
        if (new PassCosts(model, context, 1).passMs(0, 1, 1, false) < CHEAP_LAYER_MS) {
            new PassCosts(model, context, 1, COMPILE_MS).passMs(0, layers, 1, true); // timed cold, the small model would look slow
        }
        PassCosts costs = new PassCosts(model, context, REPEATS, BUDGET_MS);
        double lower = costs.passMs(0, exitLayer, 1, false);
        double draftHead = costs.headMs(1, drafter::logits);
        double upper = costs.passMs(exitLayer, layers, 1, true);
        double upperRows = costs.passMs(exitLayer, layers, rows, true);
        double layerAlone = costs.passMs(0, 1, 1, false);
        double layerRowsAlone = costs.passMs(0, 1, rows, false);
        double[] shared = DeviceThreads.pipelineAllowedOn(model.manager().getDevice())
                ? new PassCosts(model, context, REPEATS, 2 * BUDGET_MS).concurrentLayerMs(rows) // longer: the threads must overlap
                : new double[] {layerAlone, layerRowsAlone}; // no pipeline there: nothing runs beside a pass
        return new PassProfile(rows, lower, draftHead, upper, upperRows, Math.max(1, shared[0] / layerAlone),
                Math.max(1, shared[1] / layerRowsAlone), (System.nanoTime() - t0) / 1e6);
    }

    /**
     * The best plan for measured costs.
     *
     * @param p the pass costs at the plan's exit
     * @param acceptance α in [0, 1]
     * @param fixedDrafts d when fixed, else null (chosen in 1..min({@link #MAX_DRAFTS}, rows − 1))
     * @param fixedPipeline rounds or the pipeline when fixed, else null
     * @param processors processors available (the pipeline needs two)
     * @return the choice and its predicted speed-ups over autoregressive decoding
     */
    public static DecodingPlan.Estimate choose(PassProfile p, double acceptance, Integer fixedDrafts,
            Boolean fixedPipeline, int processors) {
        if (!(acceptance >= 0 && acceptance <= 1)) {
            throw new IllegalArgumentException("acceptance must be in [0, 1], got " + acceptance);
        }
        int from = fixedDrafts != null ? fixedDrafts : 1;
        int to = fixedDrafts != null ? fixedDrafts : Math.min(MAX_DRAFTS, p.rows() - 1);
        int bestRounds = from;
        int bestPipeline = from;
        for (int d = from; d <= to; d++) {
            if (roundsSpeedup(p, acceptance, d) > roundsSpeedup(p, acceptance, bestRounds)) {
                bestRounds = d;
            }
            if (pipelineSpeedup(p, acceptance, d) > pipelineSpeedup(p, acceptance, bestPipeline)) {
                bestPipeline = d;
            }
        }
        double rounds = roundsSpeedup(p, acceptance, bestRounds);
        double pipeline = processors >= 2 ? pipelineSpeedup(p, acceptance, bestPipeline) : 0;
        boolean pipe = fixedPipeline != null ? fixedPipeline : pipeline > PIPELINE_MARGIN * rounds;
        return new DecodingPlan.Estimate(pipe ? bestPipeline : bestRounds, pipe, rounds, bestRounds, pipeline, bestPipeline,
                acceptance, p);
    }

    /** Tokens per round over the round's cost, relative to a full step. */
    static double roundsSpeedup(PassProfile p, double acceptance, int d) {
        double round = d * p.draftStepMs() + p.lowerMs() + p.upper(d + 1);
        return expectedTokens(acceptance, d) * p.fullStepMs() / round;
    }

    /** The pipeline's tokens per ms relative to a full step (see the class comment). */
    static double pipelineSpeedup(PassProfile p, double acceptance, int d) {
        double draftStep = p.draftStepMs() * p.drafterSlowdown();
        double verifyOne = p.upper(1) * p.verifierSlowdown();
        double verifyAll = p.upper(d) * p.verifierSlowdown();
        double steady = Math.max(draftStep, verifyAll / d);
        double bubble = Math.max(0, draftStep + verifyOne - steady);
        return p.fullStepMs() / (steady + (1 - acceptance) * bubble);
    }

    /** Expected tokens of a round of d drafts: the agreeing prefix plus the full model's token. */
    static double expectedTokens(double acceptance, int d) {
        return acceptance >= 1 ? d + 1 : (1 - Math.pow(acceptance, d + 1)) / (1 - acceptance);
    }
}
