package dev.layerskip.train;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Parses config names into enum constants with errors that list the accepted names. */
final class Names {

    private Names() {}

    static <E extends Enum<E>> E parse(Class<E> type, String name, String what) {
        if (name == null) {
            throw new IllegalArgumentException(what + " must not be null");
        }
        String key = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(key)) {
                return e;
            }
        }
        String accepted = Arrays.stream(type.getEnumConstants())
                .map(e -> e.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining(", "));
        throw new IllegalArgumentException("unknown " + what + " '" + name + "' (expected one of: " + accepted + ")");
    }
}
