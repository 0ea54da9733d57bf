package dev.layerskip.djl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a DJL model directory's Hugging Face checkpoint is: the directory itself, or the
 * {@code checkpoint} argument (serving.properties or {@code Criteria.optArgument}), absolute or
 * relative to the model directory. This lets a DJL Serving model directory hold only
 * serving.properties and point at weights kept elsewhere.
 */
final class CheckpointLocation {

    /** The argument naming the checkpoint directory. */
    static final String ARGUMENT = "checkpoint";

    private CheckpointLocation() {}

    /**
     * @param modelDir the DJL model directory
     * @param arguments the model's arguments
     * @return the checkpoint directory
     * @throws IllegalArgumentException if there is no config.json there
     */
    static Path resolve(Path modelDir, Map<String, ?> arguments) {
        Object named = arguments == null ? null : arguments.get(ARGUMENT);
        Path dir = modelDir;
        if (named != null && !named.toString().isBlank()) {
            Path p = Path.of(named.toString().trim());
            dir = p.isAbsolute() || modelDir == null ? p : modelDir.resolve(p);
        }
        if (dir == null) {
            throw new IllegalArgumentException("no model directory: use Criteria.optModelPath(dir)");
        }
        dir = dir.normalize();
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new IllegalArgumentException(dir.resolve("config.json") + ": not found"
                    + (named == null ? " (put the checkpoint in the model directory or set the 'checkpoint' argument)"
                            : " (from the 'checkpoint' argument '" + named + "')"));
        }
        return dir;
    }
}
