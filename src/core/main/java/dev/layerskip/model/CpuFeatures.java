package dev.layerskip.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * What this CPU computes natively, as far as the choice of a weight type needs to know: read once from
 * {@code /proc/cpuinfo} (Linux). Elsewhere (macOS, Windows) nothing is known and the float32 defaults apply.
 */
final class CpuFeatures {

    /** The x86 flags of native bfloat16 products: AVX512-BF16 (Cooper Lake, Zen 4 and later) and AMX (Sapphire Rapids). */
    static final Set<String> BF16_FLAGS = Set.of("avx512_bf16", "amx_bf16");
    private static final Path CPUINFO = Path.of("/proc/cpuinfo");
    private static volatile Boolean nativeBf16;

    private CpuFeatures() {}

    /** @return whether this CPU has AVX512-BF16 or AMX-BF16 (false where that cannot be read) */
    static boolean nativeBf16() {
        Boolean known = nativeBf16;
        if (known == null) {
            known = Files.isReadable(CPUINFO) && hasAny(readFlags(CPUINFO), BF16_FLAGS);
            nativeBf16 = known;
        }
        return known;
    }

    /**
     * @param cpuinfo the text of a {@code /proc/cpuinfo}
     * @return the flags of its first processor, lower case
     */
    static Set<String> flags(String cpuinfo) {
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon > 0 && line.substring(0, colon).trim().equals("flags")) {
                return Set.of(line.substring(colon + 1).trim().toLowerCase(Locale.ROOT).split("\\s+"));
            }
        }
        return Set.of();
    }

    static boolean hasAny(Set<String> flags, Set<String> wanted) {
        for (String w : wanted) {
            if (flags.contains(w)) {
                return true;
            }
        }
        return false;
    }

    private static Set<String> readFlags(Path cpuinfo) {
        try {
            return flags(Files.readString(cpuinfo));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + cpuinfo + ": " + e.getMessage(), e);
        }
    }
}
