package dev.layerskip.generate;

import java.util.Arrays;

/**
 * A token's log-probability under the logits it was chosen from, and the most likely alternatives there.
 *
 * @param tokenId the token
 * @param logprob its natural-log probability
 * @param topIds the most likely tokens at its position, most likely first (ties: lower id first)
 * @param topLogprobs their log-probabilities
 */
public record TokenLogprob(int tokenId, double logprob, int[] topIds, double[] topLogprobs) {

    /** Validates and copies the arrays. */
    public TokenLogprob {
        if (topIds.length != topLogprobs.length) {
            throw new IllegalArgumentException("top ids and log-probabilities differ in length");
        }
        topIds = topIds.clone();
        topLogprobs = topLogprobs.clone();
    }

    @Override
    public int[] topIds() {
        return topIds.clone();
    }

    @Override
    public double[] topLogprobs() {
        return topLogprobs.clone();
    }

    /**
     * The log-softmax of one position's logits at a token, with the {@code top} most likely tokens.
     *
     * @param logits the raw logits over the vocabulary
     * @param tokenId the chosen token
     * @param top how many alternatives, ≥ 0
     * @return the log-probabilities
     */
    public static TokenLogprob of(float[] logits, int tokenId, int top) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        double logZ = max + Math.log(sum);
        int k = Math.min(top, logits.length);
        int[] ids = new int[k]; // kept sorted: most likely first
        int filled = 0;
        for (int v = 0; k > 0 && v < logits.length; v++) {
            if (filled < k || logits[v] > logits[ids[k - 1]]) {
                int at = Math.min(filled, k - 1);
                while (at > 0 && logits[ids[at - 1]] < logits[v]) {
                    ids[at] = ids[at - 1];
                    at--;
                }
                ids[at] = v;
                filled = Math.min(filled + 1, k);
            }
        }
        double[] values = new double[k];
        for (int i = 0; i < k; i++) {
            values[i] = logits[ids[i]] - logZ;
        }
        return new TokenLogprob(tokenId, logits[tokenId] - logZ, ids, values);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenLogprob t && t.tokenId == tokenId && t.logprob == logprob
                && Arrays.equals(t.topIds, topIds) && Arrays.equals(t.topLogprobs, topLogprobs);
    }

    @Override
    public int hashCode() {
        return 31 * Integer.hashCode(tokenId) + Double.hashCode(logprob);
    }

    @Override
    public String toString() {
        return "TokenLogprob[" + tokenId + ": " + logprob + ", top " + Arrays.toString(topIds) + "]";
    }
}
