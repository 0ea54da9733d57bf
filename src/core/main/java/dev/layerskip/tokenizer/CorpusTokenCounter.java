package dev.layerskip.tokenizer;

import dev.layerskip.checkpoint.TokenCounts;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Counts how often each token id occurs when a tokenizer encodes some text files: the input of a
 * draft vocabulary ({@link TokenCounts#topIds}). Each file is encoded whole, as training encodes
 * its documents; files that are not UTF-8 text are skipped and counted as skipped.
 */
public final class CorpusTokenCounter {

    private final TextTokenizer tokenizer;
    private final long[] counts;
    private int files;
    private int skipped;

    /**
     * @param tokenizer the checkpoint's tokenizer
     * @param vocabSize the checkpoint's vocabulary size V (every id must be below it)
     */
    public CorpusTokenCounter(TextTokenizer tokenizer, int vocabSize) {
        if (tokenizer == null || vocabSize < 1) {
            throw new IllegalArgumentException("counting tokens needs a tokenizer and a vocabulary size >= 1");
        }
        this.tokenizer = tokenizer;
        this.counts = new long[vocabSize];
    }

    /**
     * Counts the tokens of files.
     *
     * @param paths the files
     * @return this counter
     * @throws IOException if a file cannot be read
     * @throws IllegalArgumentException if the tokenizer yields an id outside the vocabulary (named with the file)
     */
    public CorpusTokenCounter addAll(List<Path> paths) throws IOException {
        for (Path f : paths) {
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(f))).toString();
            } catch (CharacterCodingException e) {
                skipped++;
                continue;
            }
            add(text, f.toString());
            files++;
        }
        return this;
    }

    /**
     * Counts the tokens of one text.
     *
     * @param text the text
     * @param source how errors name it
     * @return this counter
     */
    public CorpusTokenCounter add(String text, String source) {
        for (int id : tokenizer.encode(text)) {
            if (id < 0 || id >= counts.length) {
                throw new IllegalArgumentException(source + ": the tokenizer produced id " + id
                        + ", outside the model's vocabulary 0.." + (counts.length - 1));
            }
            counts[id]++;
        }
        return this;
    }

    /** @return the files counted */
    public int files() {
        return files;
    }

    /** @return the files skipped because they are not UTF-8 text */
    public int skipped() {
        return skipped;
    }

    /** @return the counts so far */
    public TokenCounts counts() {
        return new TokenCounts(counts);
    }
}
