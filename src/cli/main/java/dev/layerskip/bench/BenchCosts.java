package dev.layerskip.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import dev.layerskip.generate.DraftScorer;
import dev.layerskip.generate.PassCosts;
import dev.layerskip.generate.SelfSpeculativeGenerator;
import dev.layerskip.model.CostModel;
import dev.layerskip.model.LlamaModel;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code bench} prints beside the measured speeds: the engine's streaming limit
 * ({@link WeightStream}), the measured cost of each pass a self-speculative round is made of
 * ({@link PassCosts}) and the speed-ups they predict, weight bytes read per generated token, and
 * prefill times.
 */
public final class BenchCosts {

    /** Positions in the cache when passes are timed: a typical point in a benchmark generation. */
    private static final int CONTEXT = 64;

    private final LlamaModel model;
    private final CostModel cost;
    private final int bytesPerWeight;
    private final WeightStream stream;
    private final double fullStepMs;
    private final Map<String, double[]> roundCosts; // label -> {draft step ms, verify ms, d, draft head tokens}
    private final int[] prefillLengths;
    private final double[] prefillMs;

    private BenchCosts(LlamaModel model, WeightStream stream, double fullStepMs, Map<String, double[]> roundCosts,
            int[] prefillLengths, double[] prefillMs) {
        this.model = model;
        this.cost = new CostModel(model.config());
        this.bytesPerWeight = model.weightType().getNumOfBytes();
        this.stream = stream;
        this.fullStepMs = fullStepMs;
        this.roundCosts = roundCosts;
        this.prefillLengths = prefillLengths;
        this.prefillMs = prefillMs;
    }

    /**
     * Measures every cost the report needs.
     *
     * @param model the model
     * @param strategies the benchmarked strategies (self-speculative ones get their round costs)
     * @param prefillLengths prompt lengths to time, or null
     * @param repeats timed runs per measurement
     * @return the costs
     */
    public static BenchCosts measure(LlamaModel model, List<BenchStrategy> strategies, int[] prefillLengths, int repeats) {
        int r = Math.max(3, repeats);
        PassCosts passes = new PassCosts(model, Math.min(CONTEXT, model.config().maxPositions() - 32), r);
        Map<String, double[]> rounds = new LinkedHashMap<>();
        for (BenchStrategy s : strategies) {
            if (s.drafts() > 0) {
                int e = s.generator().exitLayer();
                DraftScorer drafter = s.generator() instanceof SelfSpeculativeGenerator g ? g.drafter() : DraftScorer.full(model);
                rounds.put(s.label(), new double[] {passes.draftStepMs(e, drafter::logits), passes.verifyMs(e, s.drafts() + 1),
                        s.drafts(), drafter.size()});
            }
        }
        int[] lengths = prefillLengths == null ? new int[0] : prefillLengths.clone();
        double[] prefill = new double[lengths.length];
        for (int i = 0; i < lengths.length; i++) {
            if (lengths[i] < 1 || lengths[i] > model.config().maxPositions()) {
                throw new IllegalArgumentException("--prefill-lengths: " + lengths[i] + " is outside 1.."
                        + model.config().maxPositions() + " (the context)");
            }
            prefill[i] = passes.prefillMs(lengths[i]);
        }
        return new BenchCosts(model, WeightStream.measure(model, r), passes.fullStepMs(), rounds, lengths, prefill);
    }

    /**
     * @param t a measured strategy
     * @return weight bytes read per generated token (projections and head; each pass reads its layers once)
     */
    public double bytesPerToken(StrategyTiming t) {
        double layer = cost.layerMacs() * (double) bytesPerWeight;
        double head = cost.headMacs() * (double) bytesPerWeight;
        int e = t.exitLayer();
        if (t.tokensPerRound() <= 0) {
            return e * layer + head;
        }
        double d = t.draftsPerRound();
        int l = model.numLayers();
        // Per round: d drafts and the last draft through [0, E), d draft heads, one verify pass of [E, L) and the head.
        double[] c = roundCosts.get(t.label());
        double draftHead = c == null ? head : head * c[3] / model.config().vocabSize(); // a draft vocabulary reads N rows
        double perRound = (d + 1) * e * layer + d * draftHead + (l - e) * layer + head;
        return perRound / t.tokensPerRound();
    }

    /**
     * @param t a measured self-speculative strategy
     * @return the speed-up {@link PassCosts#predictedSpeedup} predicts from the pass costs and t's acceptance
     */
    public double predictedSpeedup(StrategyTiming t) {
        double[] c = roundCosts.get(t.label());
        return c == null ? 0 : PassCosts.predictedSpeedup(fullStepMs, c[0], c[1], (int) c[2], t.acceptanceRate());
    }

    /**
     * @param t a measured strategy
     * @return whether its draft and verification passes were timed, so that a speed-up can be predicted
     *     (self-speculative rounds; not autoregressive decoding or the pipelined schedule)
     */
    public boolean predicts(StrategyTiming t) {
        return roundCosts.containsKey(t.label());
    }

    /**
     * @param t a measured self-speculative strategy
     * @return the predicted speed-up if every draft were accepted
     */
    public double ceilingSpeedup(StrategyTiming t) {
        double[] c = roundCosts.get(t.label());
        return c == null ? 0 : PassCosts.predictedSpeedup(fullStepMs, c[0], c[1], (int) c[2], 1);
    }

    /** @param out where the table's footer goes */
    public void print(PrintWriter out) {
        out.printf("engine limit: one-row products over all %.1f MB of projection weights take %.3f ms (%.1f GB/s);"
                + " a full decoding step takes %.3f ms (%.0f %% of the limit)%n", stream.weightBytes() / 1e6,
                stream.productMs(), stream.gigabytesPerSecond(), fullStepMs, 100 * stream.productMs() / fullStepMs);
        roundCosts.forEach((label, c) -> out.printf("%s: draft step %.3f ms (%.2f full steps, head over %d tokens),"
                + " verify of %d positions %.3f ms (%.2f full steps)%n",
                label, c[0], c[0] / fullStepMs, (int) c[3], (int) c[2] + 1, c[1], c[1] / fullStepMs));
        for (int i = 0; i < prefillLengths.length; i++) {
            out.printf("prefill %d tokens: %.1f ms, %.1f prompt tokens/s%n", prefillLengths[i], prefillMs[i],
                    prefillLengths[i] * 1000.0 / prefillMs[i]);
        }
    }

    /** @param root the JSON report; gets "engine_limit", "round_costs" and "prefill" */
    public void addJson(JsonObject root) {
        JsonObject limit = new JsonObject();
        limit.addProperty("weight_bytes", stream.weightBytes());
        limit.addProperty("one_row_products_ms", stream.productMs());
        limit.addProperty("gigabytes_per_second", stream.gigabytesPerSecond());
        limit.addProperty("full_step_ms", fullStepMs);
        root.add("engine_limit", limit);
        JsonArray rounds = new JsonArray();
        roundCosts.forEach((label, c) -> {
            JsonObject o = new JsonObject();
            o.addProperty("strategy", label);
            o.addProperty("draft_step_ms", c[0]);
            o.addProperty("draft_head_tokens", (int) c[3]);
            o.addProperty("verify_ms", c[1]);
            o.addProperty("verify_positions", (int) c[2] + 1);
            rounds.add(o);
        });
        root.add("round_costs", rounds);
        JsonArray prefill = new JsonArray();
        for (int i = 0; i < prefillLengths.length; i++) {
            JsonObject o = new JsonObject();
            o.addProperty("prompt_tokens", prefillLengths[i]);
            o.addProperty("ms", prefillMs[i]);
            o.addProperty("tokens_per_second", prefillLengths[i] * 1000.0 / prefillMs[i]);
            prefill.add(o);
        }
        root.add("prefill", prefill);
    }
}
