package dev.layerskip.generate;

/**
 * A rule on which tokens may come next given the generated ones (constrained decoding, e.g. JSON that
 * follows a schema). {@link RepetitionProcessor} applies it wherever logits are processed: autoregressive
 * steps, every draft and every verification row of self-speculation, each with the tokens before its
 * position, so greedy self-speculative output stays that of constrained autoregressive decoding and
 * speculative sampling keeps the constrained distribution.
 */
public interface TokenConstraint {

    /** @return the state before the first generated token */
    State start();

    /** Where the constraint stands after some generated tokens. Immutable. */
    interface State {

        /**
         * @param tokenId the next generated token
         * @return the state after it (a state that allows only end-of-sequence when the token broke the rule)
         */
        State advance(int tokenId);

        /**
         * Sets the logits of tokens that may not come next to negative infinity.
         *
         * @param logits one position's logits over the vocabulary (modified)
         * @param tokensLeft how many tokens may still be generated, this one included
         */
        void mask(float[] logits, int tokensLeft);
    }
}
