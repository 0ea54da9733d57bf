package dev.layerskip.bench;

import dev.layerskip.generate.Generator;

/**
 * One named strategy in a benchmark.
 *
 * @param label how reports name it, e.g. {@code self-speculative E=2 d=4}
 * @param generator the generator
 */
public record BenchStrategy(String label, Generator generator) {
    /** Validates the fields. */
    public BenchStrategy {
        if (label == null || label.isBlank() || generator == null) {
            throw new IllegalArgumentException("a benchmark strategy needs a label and a generator");
        }
    }
}
