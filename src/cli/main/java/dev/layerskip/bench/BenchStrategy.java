package dev.layerskip.bench;

import dev.layerskip.generate.Generator;

/**
 * One named strategy in a benchmark.
 *
 * @param label how reports name it, e.g. {@code self-speculative E=2 d=4}
 * @param generator the generator
 * @param drafts the (maximum) draft length d of a self-speculative strategy, 0 for the others
 */
public record BenchStrategy(String label, Generator generator, int drafts) {
    /** Validates the fields. */
    public BenchStrategy {
        if (label == null || label.isBlank() || generator == null || drafts < 0) {
            throw new IllegalArgumentException("a benchmark strategy needs a label, a generator and drafts >= 0");
        }
    }

    /**
     * A strategy that does not draft.
     *
     * @param label how reports name it
     * @param generator the generator
     */
    public BenchStrategy(String label, Generator generator) {
        this(label, generator, 0);
    }
}
