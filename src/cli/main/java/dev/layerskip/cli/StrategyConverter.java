package dev.layerskip.cli;

import dev.layerskip.generate.DecodingStrategy;

import picocli.CommandLine.ITypeConverter;

/** Parses {@code --strategy} values such as {@code early-exit}. */
final class StrategyConverter implements ITypeConverter<DecodingStrategy> {
    @Override
    public DecodingStrategy convert(String value) {
        return DecodingStrategy.fromName(value);
    }
}
