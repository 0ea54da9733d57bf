package dev.layerskip.generate;

import java.util.Arrays;

/**
 * The acceptance rule of speculative sampling (Leviathan et al., 2023; Chen et al., 2023), as used
 * by LayerSkip's self-speculative decoding: it returns exactly the tokens the full model would
 * have produced (greedy) or tokens distributed exactly as the full model's (sampling).
 */
final class SpeculativeAcceptance {

    private SpeculativeAcceptance() {}

    /**
     * Decides one round.
     *
     * @param drafts the drafted tokens x_1..x_d
     * @param draftProbs the draft model's distribution q that each draft was drawn from, d rows (unused, may
     *     hold nulls, when greedy)
     * @param fullLogits the full model's logits at the last accepted token and each draft, d+1 rows
     * @param sampler greedy or sampling settings, and the random stream
     * @return the accepted drafts followed by one token from the full model (a correction when a
     *     draft was rejected, a bonus token when all were accepted)
     */
    static int[] decide(int[] drafts, double[][] draftProbs, float[][] fullLogits, Sampler sampler) {
        int d = drafts.length;
        if (sampler.config().isGreedy()) {
            int[] targets = new int[d + 1];
            for (int i = 0; i <= d; i++) {
                targets[i] = Sampler.argmax(fullLogits[i]);
            }
            return decideGreedy(drafts, targets);
        }
        int[] out = new int[d + 1];
        for (int i = 0; i < d; i++) {
            double[] q = draftProbs[i]; // the draft's distribution
            double[] p = sampler.distribution(fullLogits[i]); // the full model's distribution
            int x = drafts[i];
            // Accept x with probability min(1, p(x) / q(x)); q(x) > 0 because x was drawn from q.
            if (sampler.uniform() < p[x] / q[x]) {
                out[i] = x;
                continue;
            }
            // Rejected: draw from the residual normalize(max(0, p - q)), which restores p exactly.
            double[] residual = new double[p.length];
            for (int j = 0; j < p.length; j++) {
                residual[j] = Math.max(0, p[j] - q[j]);
            }
            out[i] = sampler.draw(Sampler.normalize(residual));
            return Arrays.copyOf(out, i + 1);
        }
        out[d] = sampler.draw(sampler.distribution(fullLogits[d])); // every draft accepted: a bonus token from p
        return out;
    }

    /**
     * Decides one greedy round from the full model's argmax at each position.
     *
     * @param drafts the drafted tokens x_1..x_d
     * @param targets the full model's argmax at the last accepted token and after each draft, d+1 ids
     * @return the accepted drafts followed by the full model's token
     */
    static int[] decideGreedy(int[] drafts, int[] targets) {
        int d = drafts.length;
        if (targets.length != d + 1) {
            throw new IllegalArgumentException("need " + (d + 1) + " targets for " + d + " drafts, got " + targets.length);
        }
        // Accept while the draft equals the full model's argmax; the first disagreement is replaced by
        // the full model's argmax (or, if none, its argmax after the last draft: the bonus token).
        for (int i = 0; i < d; i++) {
            if (targets[i] != drafts[i]) {
                return Arrays.copyOf(targets, i + 1);
            }
        }
        return targets.clone();
    }
}
