package dev.layerskip.eval;

/**
 * Next-token quality of one exit layer over a text.
 *
 * @param exitLayer E in 1..L
 * @param nll mean negative log-likelihood per predicted token (nats)
 * @param tokens how many tokens were predicted
 */
public record LayerPerplexity(int exitLayer, double nll, long tokens) {

    /** Validates the values. */
    public LayerPerplexity {
        if (exitLayer < 1 || tokens < 1 || !(nll >= 0)) {
            throw new IllegalArgumentException(
                    "invalid per-layer result: exit " + exitLayer + ", nll " + nll + ", tokens " + tokens);
        }
    }

    /** @return exp(nll) */
    public double perplexity() {
        return Math.exp(nll);
    }
}
