package dev.layerskip.generate;

import com.google.gson.JsonObject;

/**
 * The decoding statistics of a generation as JSON fields, written the same way by the CLI's
 * {@code generate --json} and by the serving responses' {@code details}.
 */
public final class GenerationStatsJson {

    private GenerationStatsJson() {}

    /**
     * Adds strategy, exit_layer, timings and tokens/s, and for self-speculation num_speculations,
     * draft_policy, pipelined, rounds, drafted, accepted, acceptance_rate, draft_ms and verify_ms.
     *
     * @param o the object to add to
     * @param strategy the strategy
     * @param generator the generator that produced the result
     * @param s the statistics
     */
    public static void add(JsonObject o, DecodingStrategy strategy, Generator generator, GenerationStats s) {
        o.addProperty("strategy", strategy.cliName());
        o.addProperty("exit_layer", generator.exitLayer());
        if (generator instanceof SelfSpeculativeGenerator g) {
            o.addProperty("num_speculations", g.draftLength().max());
            o.addProperty("draft_policy", g.draftLength().toString());
            o.addProperty("pipelined", g.pipelined());
            o.addProperty("rounds", s.rounds());
            o.addProperty("drafted", s.drafted());
            o.addProperty("accepted", s.accepted());
            o.addProperty("acceptance_rate", s.acceptanceRate());
            o.addProperty("draft_ms", s.draftNanos() / 1e6);
            o.addProperty("verify_ms", s.verifyNanos() / 1e6);
        }
        o.addProperty("prompt_tokens", s.promptTokens());
        o.addProperty("prefill_ms", s.prefillNanos() / 1e6);
        o.addProperty("elapsed_ms", s.elapsedMillis());
        o.addProperty("tokens_per_second", s.tokensPerSecond());
        o.addProperty("decode_tokens_per_second", s.decodeTokensPerSecond());
    }
}
