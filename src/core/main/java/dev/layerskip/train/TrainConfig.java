package dev.layerskip.train;

import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.TensorDType;

import java.nio.file.Path;

/**
 * Everything a LayerSkip training run needs; read from JSON by {@link TrainConfigJson}.
 *
 * @param outputDir where checkpoints and the final model go
 * @param initFrom a Hugging Face checkpoint to continue from, or null to start from {@code model}
 * @param model the architecture when starting from scratch (null with initFrom)
 * @param tokenizerDir the directory holding tokenizer.json (copied into the output)
 * @param data the corpus
 * @param optim the optimiser
 * @param seed the seed of weights, data order and layer dropout
 * @param layerDropout layer dropout
 * @param earlyExit the early-exit loss
 * @param evalEvery evaluate held-out per-layer perplexity every this many steps (0 = only at the end)
 * @param evalBatches held-out batches per evaluation
 * @param checkpointEvery write a step checkpoint every this many steps (0 = only at the end)
 * @param saveDType the stored type of the final model (F16 or BF16, or F32)
 */
public record TrainConfig(Path outputDir, Path initFrom, LlamaConfig model, Path tokenizerDir, DataConfig data,
        OptimConfig optim, long seed, LayerDropout layerDropout, EarlyExitLoss earlyExit, long evalEvery, int evalBatches,
        long checkpointEvery, TensorDType saveDType) {

    /** Validates the combination. */
    public TrainConfig {
        if (outputDir == null) {
            throw new IllegalArgumentException("output_dir must be set");
        }
        if ((initFrom == null) == (model == null)) {
            throw new IllegalArgumentException("set exactly one of init_from (a checkpoint) and model (an architecture)");
        }
        if (tokenizerDir == null) {
            throw new IllegalArgumentException("tokenizer must be set (a directory with tokenizer.json)");
        }
        if (data == null || optim == null || layerDropout == null || earlyExit == null || saveDType == null) {
            throw new IllegalArgumentException("data, optim, layer_dropout, early_exit and save_dtype must be set");
        }
        if (evalEvery < 0 || checkpointEvery < 0 || evalBatches < 1) {
            throw new IllegalArgumentException("eval_every and checkpoint_every must be >= 0, eval_batches >= 1");
        }
        if (model != null && data.seqLen() > model.maxPositions()) {
            throw new IllegalArgumentException("data.seq_len " + data.seqLen() + " is above the model's max_position_embeddings "
                    + model.maxPositions());
        }
    }
}
