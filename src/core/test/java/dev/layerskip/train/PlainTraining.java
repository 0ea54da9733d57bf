package dev.layerskip.train;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;

import dev.layerskip.checkpoint.HfCheckpointWriter;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.LlamaWeights;
import dev.layerskip.tokenizer.HfTextTokenizer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The reference for "p_max = 0 and no early-exit loss is plain training": a textbook loop over the
 * whole model's Block.forward, next-token cross-entropy, the same AdamW, clipping and data order.
 */
final class PlainTraining {

    private PlainTraining() {}

    static List<Double> run(TrainConfig cfg) throws IOException {
        List<Double> losses = new ArrayList<>();
        try (HfTextTokenizer tokenizer = HfTextTokenizer.load(cfg.tokenizerDir());
                NDManager manager = NDManager.newBaseManager("PyTorch");
                Model djl = Model.newInstance("plain", "PyTorch")) {
            LlamaModel model = new LlamaModel(manager, cfg.model(), ai.djl.ndarray.types.DataType.FLOAT32);
            LlamaWeights.initRandom(model, manager, cfg.seed(), 0.02f);
            TokenCorpus corpus = TokenCorpus.load(cfg.data(), tokenizer, cfg.tokenizerDir().resolve("tokenizer.json"), 2);
            DataOrder order = new DataOrder(cfg.seed(), corpus.train().length);
            SkippingAdamW adam = new SkippingAdamW(manager, cfg.optim());
            djl.setBlock(model);
            try (Trainer trainer = djl.newTrainer(new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(adam))) {
                int b = cfg.optim().batchSize();
                trainer.initialize(new Shape(b, cfg.data().seqLen()));
                for (long step = 0; step < cfg.optim().steps(); step++) {
                    int[][] chunks = new int[b][];
                    for (int i = 0; i < b; i++) {
                        chunks[i] = corpus.train()[order.index(step * b + i)];
                    }
                    double value = Double.NaN;
                    double norm = Double.NaN;
                    for (int attempt = 0; attempt < 3 && !Double.isFinite(norm); attempt++) { // as the trainer does
                        LayerSkipTrainer.zeroGradients(model);
                        try (NDScope scope = new NDScope(); GradientCollector gc = trainer.newGradientCollector()) {
                            scope.suppressNotUsedWarning();
                            NDArray tokens = manager.create(chunks);
                            int t = chunks[0].length - 1;
                            NDArray input = tokens.get(new NDIndex().addAllDim().addSliceDim(0, t));
                            NDArray target = tokens.get(new NDIndex().addAllDim().addSliceDim(1, t + 1));
                            NDArray logits = trainer.forward(new NDList(input)).singletonOrThrow();
                            NDArray loss = ExitLossForward.crossEntropy(logits, target);
                            gc.backward(loss.div(1));
                            value = loss.getFloat();
                        }
                        norm = LayerSkipTrainer.clipGradients(model, cfg.optim().clipNorm());
                    }
                    losses.add(value);
                    adam.setLearningRate(cfg.optim().learningRate(step));
                    trainer.step();
                    LayerSkipTrainer.zeroGradients(model);
                }
            }
            HfCheckpointWriter.write(cfg.outputDir().getParent().resolve("plain-model"), model.config(),
                    LlamaWeights.toHf(model, cfg.saveDType()), Long.MAX_VALUE);
        }
        return losses;
    }
}
