package dev.layerskip.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import dev.layerskip.checkpoint.CheckpointException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A {@link TextTokenizer} over DJL's {@link HuggingFaceTokenizer}, read from a {@code
 * tokenizer.json} on disk (never downloaded). Special tokens such as BOS are added exactly as the
 * file's post-processor says; no truncation or padding.
 */
public final class HfTextTokenizer implements TextTokenizer {

    private final HuggingFaceTokenizer tokenizer;

    private HfTextTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Loads {@code tokenizer.json} from a checkpoint directory.
     *
     * @param directory the directory
     * @return the tokenizer
     * @throws CheckpointException if the file is missing or cannot be parsed
     */
    public static HfTextTokenizer load(Path directory) throws CheckpointException {
        Path file = directory.resolve("tokenizer.json");
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(file, "tokenizer file not found (use --prompt-ids to bypass the tokenizer)");
        }
        try {
            Map<String, String> options = Map.of(
                    "addSpecialTokens", "true",
                    "truncation", "false",
                    "padding", "false",
                    "modelMaxLength", String.valueOf(Integer.MAX_VALUE));
            return new HfTextTokenizer(HuggingFaceTokenizer.newInstance(file, options));
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(file, "cannot load tokenizer: " + e.getMessage(), e);
        }
    }

    @Override
    public int[] encode(String text) {
        Encoding encoding = tokenizer.encode(text);
        long[] ids = encoding.getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    @Override
    public String decode(int[] ids) {
        long[] longs = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            longs[i] = ids[i];
        }
        return tokenizer.decode(longs, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
