package dev.layerskip.cli;

import dev.layerskip.generate.DecodingSettings;
import dev.layerskip.generate.DecodingStrategy;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code --strategy} with the {@link SpeculationOptions}. */
final class DecodingOptions {

    @Option(names = "--strategy", paramLabel = "NAME", converter = StrategyConverter.class,
            description = "autoregressive, early-exit or self-speculative (default: autoregressive).")
    DecodingStrategy strategy = DecodingStrategy.AUTOREGRESSIVE;

    @Mixin SpeculationOptions speculation;

    DecodingSettings settings() {
        return speculation.settings(strategy);
    }
}
