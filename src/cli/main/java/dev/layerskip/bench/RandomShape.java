package dev.layerskip.bench;

import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.RopeScaling;
import dev.layerskip.checkpoint.RopeType;

import java.util.List;

/** Model shapes for benchmarks on random weights (no checkpoint needed). */
public enum RandomShape {
    /** The demo model's shape: 8 layers, hidden 256, 4,096-token vocabulary. */
    DEMO(new LlamaConfig(256, 688, 8, 8, 4, 32, 1e-5, 10000, RopeScaling.NONE, true, 4096, 1024, 1,
            List.of(2), "float32")),
    /** Shaped like Llama 3.2 1B: 16 layers, hidden 2048, 32 query / 8 KV heads, vocab 128,256. */
    LLAMA32_1B(new LlamaConfig(2048, 8192, 16, 32, 8, 64, 1e-5, 500000,
            new RopeScaling(RopeType.LLAMA3, 32, 1, 4, 8192), true, 128256, 131072, 128000,
            List.of(128001, 128008, 128009), "bfloat16"));

    private final LlamaConfig config;

    RandomShape(LlamaConfig config) {
        this.config = config;
    }

    /** @return the configuration of this shape */
    public LlamaConfig config() {
        return config;
    }

    /**
     * Parses {@code demo} or {@code llama3.2-1b}.
     *
     * @param name the name
     * @return the shape
     */
    public static RandomShape fromName(String name) {
        switch (name) {
            case "demo":
                return DEMO;
            case "llama3.2-1b":
                return LLAMA32_1B;
            default:
                throw new IllegalArgumentException("unknown shape '" + name + "' (expected demo or llama3.2-1b)");
        }
    }
}
