package dev.layerskip.train;

import java.nio.file.Path;
import java.util.List;

/**
 * The training corpus.
 *
 * @param paths text files or directories (searched recursively)
 * @param extensions file name endings to include from directories, e.g. {@code .py}; empty = all files
 * @param exclude path fragments to skip, e.g. {@code /test/}
 * @param heldOutFraction the share of documents held out for evaluation, in [0, 0.5]
 * @param seqLen tokens per training sequence
 * @param cacheDir where tokenized chunks are cached
 */
public record DataConfig(List<Path> paths, List<String> extensions, List<String> exclude, double heldOutFraction,
        int seqLen, Path cacheDir) {

    /** Validates the values. */
    public DataConfig {
        paths = List.copyOf(paths);
        extensions = List.copyOf(extensions);
        exclude = List.copyOf(exclude);
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("data.paths is empty: name at least one text file or directory");
        }
        if (!(heldOutFraction >= 0 && heldOutFraction <= 0.5)) {
            throw new IllegalArgumentException("data.held_out_fraction must be in [0, 0.5], got " + heldOutFraction);
        }
        if (seqLen < 2) {
            throw new IllegalArgumentException("data.seq_len must be >= 2, got " + seqLen);
        }
        if (cacheDir == null) {
            throw new IllegalArgumentException("data.cache_dir must be set");
        }
    }
}
