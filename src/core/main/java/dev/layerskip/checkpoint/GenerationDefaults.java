package dev.layerskip.checkpoint;

import com.google.gson.JsonObject;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The checkpoint's own generation settings: {@code generation_config.json} where present, else
 * the ids of {@code config.json}.
 *
 * @param bosTokenId the BOS id, or -1
 * @param eosTokenIds every id that ends generation
 * @param doSample whether the checkpoint's authors sample by default
 * @param temperature the default temperature
 * @param topK the default top-k (0 = off)
 * @param topP the default top-p (1 = off)
 * @param repetitionPenalty the default {@code repetition_penalty}, finite and &gt; 0 (1 = off, also when absent)
 * @param noRepeatNgramSize the default {@code no_repeat_ngram_size}, &ge; 0 (0 = off, also when absent)
 */
public record GenerationDefaults(int bosTokenId, List<Integer> eosTokenIds, boolean doSample, double temperature,
        int topK, double topP, double repetitionPenalty, int noRepeatNgramSize) {

    /** Copies the id list. */
    public GenerationDefaults {
        eosTokenIds = List.copyOf(eosTokenIds);
        if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetition_penalty must be a finite number > 0 (1 = off), got "
                    + repetitionPenalty);
        }
        if (noRepeatNgramSize < 0) {
            throw new IllegalArgumentException("no_repeat_ngram_size must be >= 0 (0 = off), got " + noRepeatNgramSize);
        }
    }

    /**
     * Reads {@code generation_config.json} of a checkpoint directory, falling back to the config.
     *
     * @param directory the checkpoint directory
     * @param config its parsed config
     * @return the defaults
     * @throws CheckpointException if the file exists but is malformed
     */
    public static GenerationDefaults read(Path directory, LlamaConfig config) throws CheckpointException {
        Path file = directory.resolve("generation_config.json");
        if (!Files.isRegularFile(file)) {
            return new GenerationDefaults(config.bosTokenId(), config.eosTokenIds(), false, 1.0, 0, 1.0, 1.0, 0);
        }
        JsonObject o = LlamaConfigJson.readObject(file);
        JsonFields f = new JsonFields(o, file, "");
        List<Integer> eos = LlamaConfigJson.tokenIds(o, "eos_token_id", file);
        List<Integer> bos = LlamaConfigJson.tokenIds(o, "bos_token_id", file);
        double penalty = f.optionalNumber("repetition_penalty", 0, Double.MAX_VALUE, 1.0);
        if (penalty == 0) {
            throw new CheckpointException(file, "'repetition_penalty' must be > 0 (1 = off), got 0");
        }
        return new GenerationDefaults(
                bos.isEmpty() ? config.bosTokenId() : bos.get(0),
                eos.isEmpty() ? config.eosTokenIds() : eos,
                f.optionalBoolean("do_sample", false),
                f.optionalNumber("temperature", 0, 1e6, 1.0),
                (int) f.optionalInteger("top_k", 0, Integer.MAX_VALUE, 0),
                f.optionalNumber("top_p", 0, 1, 1.0),
                penalty,
                (int) f.optionalInteger("no_repeat_ngram_size", 0, Integer.MAX_VALUE, 0));
    }
}
