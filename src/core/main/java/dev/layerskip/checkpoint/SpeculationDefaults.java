package dev.layerskip.checkpoint;

import com.google.gson.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The self-speculative settings that travel with a checkpoint: {@code layerskip.json} beside
 * {@code config.json}, written by {@code sweep --save-defaults} and read by {@code generate}.
 *
 * @param exitLayer the draft exit E
 * @param numSpeculations the drafts per round d
 * @param draftVocabSize N, the draft head's vocabulary (the N most frequent tokens of {@code token_counts.json}),
 *     or null for the full head
 * @param pipelined whether greedy requests draft and verify at once on two threads ({@code "pipelined": true},
 *     written by {@code sweep --pipelined --save-defaults}; d is then how far the drafter runs ahead), decode in
 *     rounds ({@code false}), or null when the file does not say (the plan is then calibrated at load)
 */
public record SpeculationDefaults(int exitLayer, int numSpeculations, Integer draftVocabSize, Boolean pipelined) {

    /** The most drafts per round accepted from the file. */
    public static final int MAX_SPECULATIONS = 256;

    /** The file name. */
    public static final String FILE = "layerskip.json";

    /** Validates the values. */
    public SpeculationDefaults {
        if (exitLayer < 1) {
            throw new IllegalArgumentException("exit_layer must be >= 1, got " + exitLayer);
        }
        if (numSpeculations < 1) {
            throw new IllegalArgumentException("num_speculations must be >= 1, got " + numSpeculations);
        }
        if (draftVocabSize != null && draftVocabSize < 1) {
            throw new IllegalArgumentException("draft_vocab_size must be >= 1, got " + draftVocabSize);
        }
    }

    /**
     * Defaults that leave rounds or the pipeline open.
     *
     * @param exitLayer the draft exit E
     * @param numSpeculations the drafts per round d
     * @param draftVocabSize N, or null for the full head
     */
    public SpeculationDefaults(int exitLayer, int numSpeculations, Integer draftVocabSize) {
        this(exitLayer, numSpeculations, draftVocabSize, null);
    }

    /**
     * Defaults with the full draft head.
     *
     * @param exitLayer the draft exit E
     * @param numSpeculations the drafts per round d
     */
    public SpeculationDefaults(int exitLayer, int numSpeculations) {
        this(exitLayer, numSpeculations, null);
    }

    /**
     * Reads the defaults of a checkpoint directory, if it has them.
     *
     * @param directory the checkpoint directory
     * @return the defaults, or empty
     * @throws CheckpointException if the file exists but is malformed (the message names the file and key)
     */
    public static Optional<SpeculationDefaults> read(Path directory) throws CheckpointException {
        return read(directory, LlamaConfig.MAX_LAYERS + 1);
    }

    /**
     * Reads the defaults of a checkpoint directory, if it has them, and checks the exit layer against
     * the model: a draft exit must leave at least one layer to verify with.
     *
     * @param directory the checkpoint directory
     * @param numLayers the model's layer count L (the exit must be in 1..L-1)
     * @return the defaults, or empty
     * @throws CheckpointException if the file exists but is malformed or does not fit the model
     */
    public static Optional<SpeculationDefaults> read(Path directory, int numLayers) throws CheckpointException {
        Path file = directory.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        JsonFields f = new JsonFields(LlamaConfigJson.readObject(file), file, "");
        for (String key : f.object().keySet()) {
            if (!key.equals("exit_layer") && !key.equals("num_speculations") && !key.equals("draft_vocab_size")
                    && !key.equals("pipelined")) {
                throw f.error("unknown key '" + key + "' (expected {\"exit_layer\": E, \"num_speculations\": D}"
                        + " and optionally \"draft_vocab_size\": N and \"pipelined\": true|false)");
            }
        }
        int exit = (int) f.requiredInteger("exit_layer", 1, numLayers - 1);
        int d = (int) f.requiredInteger("num_speculations", 1, MAX_SPECULATIONS);
        long n = f.optionalInteger("draft_vocab_size", 1, LlamaConfig.MAX_VOCAB_SIZE, 0);
        Boolean pipelined = f.object().has("pipelined") ? f.optionalBoolean("pipelined", false) : null;
        return Optional.of(new SpeculationDefaults(exit, d, n == 0 ? null : (int) n, pipelined));
    }

    /**
     * Writes these defaults into a checkpoint directory.
     *
     * @param directory the checkpoint directory
     * @throws IOException if writing fails
     */
    public void write(Path directory) throws IOException {
        JsonObject o = new JsonObject();
        o.addProperty("exit_layer", exitLayer);
        o.addProperty("num_speculations", numSpeculations);
        if (draftVocabSize != null) {
            o.addProperty("draft_vocab_size", draftVocabSize);
        }
        if (pipelined != null) {
            o.addProperty("pipelined", pipelined);
        }
        HfCheckpointWriter.writeJson(directory.resolve(FILE), o);
    }
}
