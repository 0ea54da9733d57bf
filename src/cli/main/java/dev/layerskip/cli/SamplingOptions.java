package dev.layerskip.cli;

import dev.layerskip.generate.SamplingConfig;

import picocli.CommandLine.Option;

/** The sampling flags of {@code generate} and {@code evaluate}: greedy unless a temperature is given. */
final class SamplingOptions {

    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature = 0;

    @Option(names = "--top-k", paramLabel = "K", description = "Top-k filter, 0 = off (default: ${DEFAULT-VALUE}).")
    int topK = 0;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus filter in (0, 1] (default: ${DEFAULT-VALUE}).")
    double topP = 1.0;

    @Option(names = "--seed", paramLabel = "S", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed = 0;

    /**
     * @return the sampling settings
     * @throws IllegalArgumentException naming the value that is out of range
     */
    SamplingConfig config() {
        return new SamplingConfig(temperature, topK, topP, seed);
    }
}
