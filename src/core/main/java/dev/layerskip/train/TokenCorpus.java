package dev.layerskip.train;

import dev.layerskip.checkpoint.AtomicFiles;
import dev.layerskip.tokenizer.TextTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A text corpus tokenized once into fixed-length chunks, split into train and held-out by
 * document, and cached on disk (keyed by the files, the tokenizer and the settings).
 *
 * <p>Each document is encoded with the tokenizer (which adds BOS) and followed by EOS; the
 * documents of a split are concatenated and cut into chunks of seq_len + 1 tokens with stride
 * seq_len, so every chunk gives seq_len (input, next-token) pairs.
 */
public final class TokenCorpus {

    private final int[][] train;
    private final int[][] heldOut;
    private final int documents;

    private TokenCorpus(int[][] train, int[][] heldOut, int documents) {
        this.train = train;
        this.heldOut = heldOut;
        this.documents = documents;
    }

    /** @return training chunks, each seq_len + 1 tokens */
    public int[][] train() {
        return train;
    }

    /** @return held-out chunks, each seq_len + 1 tokens */
    public int[][] heldOut() {
        return heldOut;
    }

    /**
     * Loads the corpus from the cache, or tokenizes and caches it.
     *
     * @param data the corpus settings
     * @param tokenizer the tokenizer
     * @param tokenizerFile the tokenizer.json (part of the cache key)
     * @param eosId the id appended after each document
     * @return the chunks
     * @throws IOException if files cannot be read or the corpus is empty
     */
    public static TokenCorpus load(DataConfig data, TextTokenizer tokenizer, Path tokenizerFile, int eosId) throws IOException {
        List<Path> files = documents(data);
        if (files.isEmpty()) {
            throw new IOException("the corpus is empty: no files matching " + data.extensions() + " under " + data.paths());
        }
        String key = cacheKey(files, tokenizerFile, data, eosId);
        Path trainFile = data.cacheDir().resolve(key + ".train.bin");
        Path heldFile = data.cacheDir().resolve(key + ".heldout.bin");
        if (!Files.isRegularFile(trainFile) || !Files.isRegularFile(heldFile)) {
            List<Integer> trainIds = new ArrayList<>();
            List<Integer> heldIds = new ArrayList<>();
            for (Path f : files) {
                List<Integer> target = isHeldOut(relativeName(f, data), data.heldOutFraction()) ? heldIds : trainIds;
                for (int id : encodeDocuments(List.of(f), tokenizer, eosId)) {
                    target.add(id);
                }
            }
            writeInts(trainFile, trainIds);
            writeInts(heldFile, heldIds);
        }
        return new TokenCorpus(chunks(readInts(trainFile), data.seqLen()), chunks(readInts(heldFile), data.seqLen()), files.size());
    }

    /**
     * Encodes documents as training sees them: each file's tokens (with the tokenizer's BOS), then EOS.
     * Files that are not UTF-8 text are skipped, as the corpus skips them.
     *
     * @param files the documents
     * @param tokenizer the tokenizer
     * @param eosId the id appended after each document, or -1 for none
     * @return the joined ids
     * @throws IOException if a file cannot be read
     */
    public static int[] encodeDocuments(List<Path> files, TextTokenizer tokenizer, int eosId) throws IOException {
        IntStream.Builder ids = IntStream.builder();
        for (Path f : files) {
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(Files.readAllBytes(f))).toString();
            } catch (CharacterCodingException e) {
                continue; // not UTF-8 text: not part of a text corpus
            }
            for (int id : tokenizer.encode(text)) {
                ids.add(id);
            }
            if (eosId >= 0) {
                ids.add(eosId);
            }
        }
        return ids.build().toArray();
    }

    /**
     * The held-out documents of a corpus: those the trainer never trains on.
     *
     * @param data the corpus settings
     * @return the held-out files, sorted
     * @throws IOException if the corpus cannot be listed
     */
    public static List<Path> heldOutDocuments(DataConfig data) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path f : documents(data)) {
            if (isHeldOut(relativeName(f, data), data.heldOutFraction())) {
                out.add(f);
            }
        }
        return out;
    }

    /**
     * The training documents of a corpus: every document that is not held out.
     *
     * @param data the corpus settings
     * @return the files, sorted
     * @throws IOException if the corpus cannot be listed
     */
    public static List<Path> trainingDocuments(DataConfig data) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path f : documents(data)) {
            if (!isHeldOut(relativeName(f, data), data.heldOutFraction())) {
                out.add(f);
            }
        }
        return out;
    }

    /** Documents are held out by a hash of their path relative to the corpus root, so the split does not depend on where the corpus lives. */
    static boolean isHeldOut(String relativeName, double fraction) {
        return Math.floorMod(relativeName.hashCode() * 0x9E3779B9, 10_000) < fraction * 10_000;
    }

    private static String relativeName(Path file, DataConfig data) {
        for (Path root : data.paths()) {
            if (file.startsWith(root)) {
                return root.equals(file) ? file.getFileName().toString() : root.relativize(file).toString();
            }
        }
        return file.getFileName().toString();
    }

    private static List<Path> documents(DataConfig data) throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : data.paths()) {
            if (!Files.exists(p)) {
                throw new IOException(p + ": corpus path not found");
            }
            try (Stream<Path> walk = Files.walk(p)) {
                walk.filter(Files::isRegularFile)
                        .filter(f -> data.extensions().isEmpty() || data.extensions().stream().anyMatch(e -> f.toString().endsWith(e)))
                        .filter(f -> data.exclude().stream().noneMatch(x -> f.toString().contains(x)))
                        .filter(f -> !Files.isSymbolicLink(f))
                        .sorted()
                        .forEach(out::add);
            }
        }
        return out;
    }

    private static String cacheKey(List<Path> files, Path tokenizerFile, DataConfig data, int eosId) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(Files.readAllBytes(tokenizerFile));
            md.update((data.heldOutFraction() + "|" + eosId + "|v2").getBytes(StandardCharsets.UTF_8));
            for (Path f : files) {
                md.update((f + "|" + Files.size(f) + "|" + Files.getLastModifiedTime(f).toMillis() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(md.digest()).substring(0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static int[][] chunks(int[] stream, int seqLen) {
        int n = stream.length <= seqLen ? 0 : (stream.length - 1) / seqLen;
        int[][] out = new int[n][];
        for (int i = 0; i < n; i++) {
            out[i] = java.util.Arrays.copyOfRange(stream, i * seqLen, i * seqLen + seqLen + 1);
        }
        return out;
    }

    private static void writeInts(Path file, List<Integer> ids) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(ids.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
        ids.forEach(buf::putInt);
        AtomicFiles.write(file, tmp -> Files.write(tmp, buf.array()));
    }

    private static int[] readInts(Path file) {
        try {
            ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
            int[] out = new int[buf.remaining() / 4];
            buf.asIntBuffer().get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read token cache", e);
        }
    }
}
