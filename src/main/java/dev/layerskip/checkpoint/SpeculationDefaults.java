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
 */
public record SpeculationDefaults(int exitLayer, int numSpeculations) {

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
    }

    /**
     * Reads the defaults of a checkpoint directory, if it has them.
     *
     * @param directory the checkpoint directory
     * @return the defaults, or empty
     * @throws CheckpointException if the file exists but is malformed
     */
    public static Optional<SpeculationDefaults> read(Path directory) throws CheckpointException {
        Path file = directory.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        JsonObject o = LlamaConfigJson.readObject(file);
        try {
            return Optional.of(new SpeculationDefaults(o.get("exit_layer").getAsInt(), o.get("num_speculations").getAsInt()));
        } catch (RuntimeException e) {
            throw new CheckpointException(file, "expected {\"exit_layer\": E, \"num_speculations\": D}: " + e.getMessage(), e);
        }
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
        HfCheckpointWriter.writeJson(directory.resolve(FILE), o);
    }
}
