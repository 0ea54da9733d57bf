package dev.layerskip.generate;

import java.util.List;

/**
 * Runs a generator briefly on a synthetic prompt so that the first real request runs at the warm speed:
 * PyTorch's graph executor specialises the helper's methods, oneDNN creates its kernels for the row
 * counts the plan uses (1 row to decode or draft, d+1 to verify, a short prefill) and the JVM compiles
 * the decoding loop. Without it a one-shot generation pays all of that inside its first tokens.
 *
 * <p>Short greedy generations (a prefill of {@link #PROMPT_TOKENS} rows, then two tokens, or one whole
 * speculative round and one more token, so every row count of the plan runs) repeat until
 * {@code budgetMillis} is spent, at least once (a budget of 0 runs none); nothing is printed or kept. On a
 * 1B model one run takes about 0.4 s on two cores; on the demo the budget buys a few hundred runs, which is
 * what the JVM's compiler needs.
 */
public final class Warmup {

    /** The default time budget: enough for the demo's JVM compilation, one run on a 1B model. */
    public static final long DEFAULT_BUDGET_MILLIS = 300;
    /** The prompt length of a warm-up run. */
    static final int PROMPT_TOKENS = 12;

    private Warmup() {}

    /**
     * Warms a generator up.
     *
     * @param generator the generator requests will use
     * @param vocabSize the model's vocabulary size (prompt ids are drawn below it)
     * @param budgetMillis stop starting runs after this many milliseconds (0: no warm-up)
     * @return the milliseconds spent
     */
    public static double run(Generator generator, int vocabSize, long budgetMillis) {
        if (budgetMillis < 0) {
            throw new IllegalArgumentException("warm-up budget must be >= 0 ms, got " + budgetMillis);
        }
        if (budgetMillis == 0) {
            return 0;
        }
        int[] prompt = new int[PROMPT_TOKENS];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (int) ((i * 7919L + 13) % vocabSize); // any ids; no end-of-sequence list stops it early
        }
        int tokens = generator instanceof SelfSpeculativeGenerator s ? s.draftLength().max() + 2 : 2;
        GenerationConfig config = new GenerationConfig(tokens, SamplingConfig.GREEDY, List.of(), List.of());
        long start = System.nanoTime();
        do {
            generator.generate(prompt, config, TokenListener.NONE);
        } while ((System.nanoTime() - start) / 1_000_000 < budgetMillis);
        return (System.nanoTime() - start) / 1e6;
    }
}
