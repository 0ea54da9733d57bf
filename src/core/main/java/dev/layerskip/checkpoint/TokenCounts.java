package dev.layerskip.checkpoint;

import dev.layerskip.json.StrictJson;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How often each token id occurs in a corpus: {@code token_counts.json} beside a checkpoint's
 * {@code config.json}, written once by {@code count-tokens} and read to choose a draft vocabulary
 * (the N most frequent tokens, see {@link #topIds}).
 *
 * <p>The file: {@code {"format": "layerskip-token-counts", "vocab_size": V, "tokens": T,
 * "corpus": ["file", ...], "counts": [[id, count], ...]}}; ids that never occur may be left out;
 * every id in 0..V-1 at most once, counts non-negative integers.
 *
 * @param counts the count of every id, indexed by id (length = the vocabulary size)
 */
public record TokenCounts(long[] counts) {

    /** The file name. */
    public static final String FILE = "token_counts.json";

    /** The value of the {@code format} field. */
    public static final String FORMAT = "layerskip-token-counts";

    private static final Map<Path, Cached> CACHE = new ConcurrentHashMap<>();

    /** Validates the counts (the array is copied). */
    public TokenCounts {
        if (counts == null || counts.length == 0) {
            throw new IllegalArgumentException("token counts need a vocabulary of at least one id");
        }
        counts = counts.clone();
        for (int id = 0; id < counts.length; id++) {
            if (counts[id] < 0) {
                throw new IllegalArgumentException("token " + id + " has a negative count " + counts[id]);
            }
        }
    }

    /** @return the count of every id (a copy) */
    @Override
    public long[] counts() {
        return counts.clone();
    }

    /** @return the vocabulary size V */
    public int vocabSize() {
        return counts.length;
    }

    /** @return the number of tokens counted */
    public long total() {
        long t = 0;
        for (long c : counts) {
            t += c;
        }
        return t;
    }

    /**
     * Counts that rank ids by their number alone (id 0 most frequent): the draft vocabulary of a model
     * without a corpus, such as a benchmark's random weights.
     *
     * @param vocabSize V
     * @return counts V, V-1, ..., 1
     */
    public static TokenCounts byId(int vocabSize) {
        long[] c = new long[vocabSize];
        for (int i = 0; i < vocabSize; i++) {
            c[i] = (long) vocabSize - i;
        }
        return new TokenCounts(c);
    }

    /**
     * The N most frequent ids (ties go to the smaller id), sorted ascending.
     *
     * @param n N in 1..V
     * @return N distinct ids, ascending
     * @throws IllegalArgumentException if N is out of range (named)
     */
    public int[] topIds(int n) {
        if (n < 1 || n > counts.length) {
            throw new IllegalArgumentException("draft vocabulary size must be in 1.." + counts.length
                    + " (the vocabulary), got " + n);
        }
        Integer[] order = new Integer[counts.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> counts[a] != counts[b] ? Long.compare(counts[b], counts[a]) : Integer.compare(a, b));
        int[] top = new int[n];
        for (int i = 0; i < n; i++) {
            top[i] = order[i];
        }
        Arrays.sort(top);
        return top;
    }

    /**
     * The share of all counted tokens that the N most frequent ids cover.
     *
     * @param n N in 1..V
     * @return a fraction in [0, 1] (0 when nothing was counted)
     */
    public double coverage(int n) {
        long total = total();
        if (total == 0) {
            return 0;
        }
        long covered = 0;
        for (int id : topIds(n)) {
            covered += counts[id];
        }
        return (double) covered / total;
    }

    /**
     * Reads {@code token_counts.json} from a checkpoint directory (cached while the file is unchanged).
     *
     * @param directory the checkpoint directory
     * @param vocabSize the model's vocabulary size V, which the file must match
     * @return the counts
     * @throws CheckpointException if the file is missing or malformed (the message names the file and value)
     */
    public static TokenCounts read(Path directory, int vocabSize) throws CheckpointException {
        Path file = directory.resolve(FILE).toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            throw new CheckpointException(file, "file not found: a draft vocabulary needs the token counts of a corpus;"
                    + " write them with `count-tokens --model " + directory + " --corpus FILE...`");
        }
        long stamp;
        try {
            stamp = Files.getLastModifiedTime(file).toMillis() * 31 + Files.size(file);
        } catch (IOException e) {
            throw new CheckpointException(file, "cannot read: " + e.getMessage(), e);
        }
        Cached hit = CACHE.get(file);
        if (hit != null && hit.stamp == stamp && hit.counts.vocabSize() == vocabSize) {
            return hit.counts;
        }
        TokenCounts counts = parse(LlamaConfigJson.readObject(file), file, vocabSize);
        CACHE.put(file, new Cached(stamp, counts));
        return counts;
    }

    private static TokenCounts parse(JsonObject root, Path file, int vocabSize) throws CheckpointException {
        JsonFields f = new JsonFields(root, file, "");
        for (String key : root.keySet()) {
            if (!List.of("format", "vocab_size", "tokens", "corpus", "counts").contains(key)) {
                throw f.error("unknown key '" + key + "' (expected format, vocab_size, tokens, corpus, counts)");
            }
        }
        String format = f.optionalString("format", null);
        if (!FORMAT.equals(format)) {
            throw f.error("field 'format' must be \"" + FORMAT + "\", got " + (format == null ? "nothing" : "\"" + format + "\""));
        }
        long v = f.requiredInteger("vocab_size", 1, LlamaConfig.MAX_VOCAB_SIZE);
        if (v != vocabSize) {
            throw f.error("field 'vocab_size' is " + v + " but the model's vocabulary has " + vocabSize
                    + " tokens: these counts belong to another tokenizer");
        }
        f.optionalInteger("tokens", 0, Long.MAX_VALUE, 0);
        JsonElement list = root.get("counts");
        if (list == null || !list.isJsonArray()) {
            throw f.error("field 'counts' must be an array of [id, count] pairs, got " + StrictJson.typeOf(list));
        }
        long[] counts = new long[vocabSize];
        boolean[] seen = new boolean[vocabSize];
        JsonArray pairs = list.getAsJsonArray();
        for (int i = 0; i < pairs.size(); i++) {
            JsonElement e = pairs.get(i);
            String where = "counts[" + i + "]";
            if (!e.isJsonArray() || e.getAsJsonArray().size() != 2) {
                throw f.error("'" + where + "' must be an [id, count] pair, got " + StrictJson.typeOf(e)
                        + (e.isJsonArray() ? " of " + e.getAsJsonArray().size() + " values" : ""));
            }
            long id = integer(f, e.getAsJsonArray().get(0), where + "[0] (the id)", 0, vocabSize - 1L);
            long count = integer(f, e.getAsJsonArray().get(1), where + "[1] (the count)", 0, Long.MAX_VALUE);
            if (seen[(int) id]) {
                throw f.error("'" + where + "': token id " + id + " appears twice");
            }
            seen[(int) id] = true;
            counts[(int) id] = count;
        }
        return new TokenCounts(counts);
    }

    private static long integer(JsonFields f, JsonElement e, String where, long min, long max) throws CheckpointException {
        if (!StrictJson.isIntegerLiteral(e)) {
            throw f.error("'" + where + "' must be an integer, got " + StrictJson.typeOf(e));
        }
        BigInteger value = StrictJson.integerValue(e);
        if (value.compareTo(BigInteger.valueOf(min)) < 0 || value.compareTo(BigInteger.valueOf(max)) > 0) {
            throw f.error("'" + where + "' is " + value + ", outside " + min + ".." + max);
        }
        return value.longValue();
    }

    /**
     * Writes these counts into a checkpoint directory, most frequent first, one pair per line.
     *
     * @param directory the checkpoint directory
     * @param corpus the names of the counted files, recorded in the file
     * @return the file written
     * @throws IOException if writing fails
     */
    public Path write(Path directory, List<String> corpus) throws IOException {
        Path file = directory.resolve(FILE);
        StringBuilder out = new StringBuilder("{\n  \"format\": \"").append(FORMAT).append("\",\n");
        out.append("  \"vocab_size\": ").append(counts.length).append(",\n");
        out.append("  \"tokens\": ").append(total()).append(",\n");
        JsonArray names = new JsonArray();
        corpus.forEach(names::add);
        out.append("  \"corpus\": ").append(names).append(",\n  \"counts\": [");
        int[] ranked = topIds(counts.length); // ascending ids; order by count below
        Integer[] order = Arrays.stream(ranked).boxed().toArray(Integer[]::new);
        Arrays.sort(order, (a, b) -> counts[a] != counts[b] ? Long.compare(counts[b], counts[a]) : Integer.compare(a, b));
        boolean first = true;
        for (int id : order) {
            if (counts[id] == 0) {
                continue;
            }
            out.append(first ? "\n    [" : ",\n    [").append(id).append(", ").append(counts[id]).append(']');
            first = false;
        }
        out.append(first ? "]\n}\n" : "\n  ]\n}\n");
        String text = out.toString();
        AtomicFiles.write(file, tmp -> Files.writeString(tmp, text, StandardCharsets.UTF_8));
        return file;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenCounts t && Arrays.equals(counts, t.counts);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(counts);
    }

    @Override
    public String toString() {
        return "TokenCounts[vocab=" + counts.length + ", tokens=" + total() + "]";
    }

    private record Cached(long stamp, TokenCounts counts) {}
}
