package dev.layerskip.bench;

import dev.layerskip.tokenizer.TextTokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Prompt sets for benchmarks: a file (one prompt per line, {@code \n} escapes), built-ins, or random ids. */
public final class BenchPrompts {

    /** Built-in prompts: Python source openings, matching the demo model's training corpus. */
    public static final List<String> BUILT_IN = List.of(
            "import os\nimport sys\n\n\ndef main(",
            "class Config:\n    \"\"\"",
            "    def __init__(self, name, value=None):\n        ",
            "def read_lines(path):\n    with open(path",
            "for key, value in sorted(",
            "if __name__ == \"__main__\":\n    ",
            "    try:\n        return self.",
            "\"\"\"Utilities for working with");

    private BenchPrompts() {}

    /**
     * Loads prompts.
     *
     * @param file a file with one prompt per line ({@code \n} written as backslash-n), or null for the built-ins
     * @param tokenizer the tokenizer, or null to use random ids
     * @param vocab the vocabulary size (for random ids)
     * @param count how many random prompts when there is no tokenizer
     * @return the prompts as token ids
     * @throws IOException if the file cannot be read
     */
    public static List<int[]> load(Path file, TextTokenizer tokenizer, int vocab, int count) throws IOException {
        List<int[]> out = new ArrayList<>();
        if (tokenizer == null) {
            if (file != null) {
                throw new IllegalArgumentException("a prompts file needs a model with tokenizer.json");
            }
            SplittableRandom random = new SplittableRandom(7);
            for (int i = 0; i < count; i++) {
                int[] ids = new int[16];
                for (int j = 0; j < ids.length; j++) {
                    ids[j] = 3 + random.nextInt(vocab - 3);
                }
                out.add(ids);
            }
            return out;
        }
        List<String> texts = BUILT_IN;
        if (file != null) {
            try {
                texts = new ArrayList<>();
                for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        texts.add(line.replace("\\n", "\n"));
                    }
                }
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException(file + ": prompts file not found", e);
            }
            if (texts.isEmpty()) {
                throw new IllegalArgumentException(file + ": no prompts (one per line)");
            }
        }
        for (String t : texts) {
            out.add(tokenizer.encode(t));
        }
        return out;
    }
}
