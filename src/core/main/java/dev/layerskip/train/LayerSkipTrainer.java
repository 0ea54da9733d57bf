package dev.layerskip.train;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.loss.Loss;

import com.google.gson.JsonObject;

import dev.layerskip.checkpoint.HfCheckpoint;
import dev.layerskip.checkpoint.HfCheckpointWriter;
import dev.layerskip.eval.LayerPerplexity;
import dev.layerskip.eval.PerLayerEvaluator;
import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.LlamaWeights;
import dev.layerskip.model.Scalars;
import dev.layerskip.tokenizer.HfTextTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * LayerSkip training on DJL's training API (Trainer, GradientCollector, Optimizer, Dataset): layer
 * dropout and the early-exit loss with curricula (<a href="https://arxiv.org/abs/2404.16710">Elhoushi
 * et al., 2024</a>, §3), AdamW with warm-up and cosine decay, global-norm clipping, gradient
 * accumulation, held-out per-layer evaluation, atomic step checkpoints and exact resume.
 *
 * <p>Reproducible on CPU: the weights, the data order (a permutation per epoch) and the dropout
 * draws of step t all derive from the seed and t, so a resumed run replays the same steps.
 */
public final class LayerSkipTrainer {

    private final TrainConfig config;
    private final TrainingProgress progress;
    private static final int MAX_NON_FINITE_STEPS = 20;
    private int nonFiniteSteps;

    /**
     * @param config the run
     * @param progress receives progress
     */
    public LayerSkipTrainer(TrainConfig config, TrainingProgress progress) {
        this.config = config;
        this.progress = progress;
    }

    /**
     * Trains, writing checkpoints and the final model into the output directory.
     *
     * @param resume continue from the latest step checkpoint when there is one
     * @return the losses of every step run by this call (for tests and reports)
     * @throws IOException if data, checkpoints or the output cannot be read or written
     */
    public List<Double> run(boolean resume) throws IOException {
        OptimConfig optim = config.optim();
        try (HfTextTokenizer tokenizer = HfTextTokenizer.load(config.tokenizerDir());
                NDManager manager = NDManager.newBaseManager("PyTorch")) {
            TrainingCheckpoint.removeIncomplete(config.outputDir()); // left by a run killed while saving
            Optional<Path> checkpoint = resume ? TrainingCheckpoint.latest(config.outputDir()) : Optional.empty();
            LlamaModel model = checkpoint.isPresent() ? TrainingCheckpoint.loadModel(checkpoint.get(), manager) : initialModel(manager);
            int layers = model.numLayers();
            if (config.data().seqLen() > model.config().maxPositions()) {
                throw new IllegalArgumentException("data.seq_len " + config.data().seqLen()
                        + " is above max_position_embeddings " + model.config().maxPositions());
            }
            int eos = model.config().eosTokenIds().isEmpty() ? 2 : model.config().eosTokenIds().get(0);
            TokenCorpus corpus = TokenCorpus.load(config.data(), tokenizer, config.tokenizerDir().resolve("tokenizer.json"), eos);
            int batch = optim.batchSize();
            if (corpus.train().length < batch) {
                throw new IllegalArgumentException("the corpus is too small for a batch: " + corpus.train().length
                        + " training chunks of " + (config.data().seqLen() + 1) + " tokens, batch size " + batch);
            }
            TokenChunkDataset train = TokenChunkDataset.of(corpus.train(), batch);
            DataOrder order = new DataOrder(config.seed(), corpus.train().length);
            SkippingAdamW optimizer = new SkippingAdamW(manager, optim);
            Map<String, String> names = TrainingCheckpoint.parameterNames(model);
            Map<String, String> ids = new HashMap<>();
            names.forEach((id, name) -> ids.put(name, id));
            long start = checkpoint.isPresent() ? TrainingCheckpoint.restoreOptimizer(checkpoint.get(), optimizer, manager, ids) : 0;
            List<Set<String>> layerParams = layerParameterIds(model);
            List<Double> losses = new ArrayList<>();
            try (Model djlModel = Model.newInstance("layerskip", "PyTorch")) {
                djlModel.setBlock(model);
                DefaultTrainingConfig trainingConfig = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss()).optOptimizer(optimizer);
                try (Trainer trainer = djlModel.newTrainer(trainingConfig)) {
                    trainer.initialize(new Shape(batch, config.data().seqLen()));
                    for (long step = start; step < optim.steps(); step++) {
                        long t0 = System.nanoTime();
                        double[] perExit = new double[layers];
                        double loss = step(trainer, model, optimizer, train, order, layerParams, step, perExit);
                        losses.add(loss);
                        double tokens = (double) batch * optim.gradAccumulation() * config.data().seqLen();
                        progress.onStep(step + 1, optim.steps(), loss, perExit, optim.learningRate(step),
                                tokens * 1e9 / (System.nanoTime() - t0));
                        boolean last = step + 1 == optim.steps();
                        if (config.evalEvery() > 0 && (step + 1) % config.evalEvery() == 0 || last) {
                            progress.onEval(step + 1, evaluate(model, corpus));
                        }
                        if (config.checkpointEvery() > 0 && (step + 1) % config.checkpointEvery() == 0 || last) {
                            progress.onCheckpoint(step + 1, TrainingCheckpoint.save(config.outputDir(), step + 1, model, optimizer, names));
                        }
                    }
                }
            }
            saveFinal(model);
            return losses;
        }
    }

    // the ids of each layer's parameters, by layer
    private static List<Set<String>> layerParameterIds(LlamaModel model) {
        List<Set<String>> layerParams = new ArrayList<>();
        for (int l = 0; l < model.numLayers(); l++) {
            Set<String> set = new HashSet<>();
            for (Parameter p : model.layers().get(l).getParameters().values()) {
                set.add(p.getId());
            }
            layerParams.add(set);
        }
        return layerParams;
    }

    private LlamaModel initialModel(NDManager manager) throws IOException {
        if (config.initFrom() != null) {
            try (HfCheckpoint c = HfCheckpoint.open(config.initFrom())) {
                return LlamaWeights.load(c, manager, ai.djl.ndarray.types.DataType.FLOAT32);
            }
        }
        LlamaModel model = new LlamaModel(manager, config.model(), ai.djl.ndarray.types.DataType.FLOAT32);
        LlamaWeights.initRandom(model, manager, config.seed(), 0.02f);
        return model;
    }

    private double step(Trainer trainer, LlamaModel model, SkippingAdamW optimizer, TokenChunkDataset data,
            DataOrder order, List<Set<String>> layerParams, long step, double[] perExit) {
        OptimConfig optim = config.optim();
        int layers = model.numLayers();
        double[] weights = config.earlyExit().weights(step, layers);
        boolean[] skippedEverywhere = new boolean[layers];
        zeroGradients(model);
        java.util.Arrays.fill(skippedEverywhere, true);
        java.util.Arrays.fill(perExit, 0);
        double lossSum = microBatches(trainer, model, data, order, step, weights, skippedEverywhere, perExit);
        double norm = clipGradients(model, optim.clipNorm());
        Set<String> frozen = new HashSet<>();
        for (int l = 0; l < layers; l++) {
            if (skippedEverywhere[l]) {
                frozen.addAll(layerParams.get(l));
            }
        }
        double loss = lossSum / optim.gradAccumulation();
        if (!Double.isFinite(norm) || !Double.isFinite(loss)) {
            // A guard, not a workaround: with finite data and a sane learning rate this does not happen
            // (the rare non-finite gradients came from scalars freed under autograd, see Scalars). A
            // diverging run would poison every weight through AdamW, so the update is skipped and reported
            // (TrainingProgress.onSkippedStep prints it), and too many in a row stop the run.
            if (++nonFiniteSteps > MAX_NON_FINITE_STEPS) {
                throw new IllegalStateException("loss or gradient not finite for " + nonFiniteSteps
                        + " steps (last at step " + (step + 1) + "): lower optim.lr or raise optim.warmup_steps");
            }
            progress.onSkippedStep(step + 1, loss, norm);
            return Double.NaN;
        }
        nonFiniteSteps = 0;
        optimizer.freeze(frozen);
        optimizer.setLearningRate(optim.learningRate(step));
        trainer.step(); // the next step starts by zeroing the gradients
        return loss;
    }

    /** Forward and backward of every micro-batch of a step; returns the summed loss. */
    private double microBatches(Trainer trainer, LlamaModel model, TokenChunkDataset data, DataOrder order, long step,
            double[] weights, boolean[] skippedEverywhere, double[] perExit) {
        OptimConfig optim = config.optim();
        int layers = model.numLayers();
        int batch = optim.batchSize();
        double lossSum = 0;
        for (int micro = 0; micro < optim.gradAccumulation(); micro++) {
            long global = step * optim.gradAccumulation() + micro;
            SplittableRandom random = new SplittableRandom(mix(config.seed(), global));
            boolean[][] skip = config.layerDropout().sample(batch, layers, step, random);
            for (int l = 0; l < layers; l++) {
                for (boolean s : skip[l]) {
                    skippedEverywhere[l] &= s;
                }
            }
            int[][] chunks = new int[batch][];
            for (int i = 0; i < batch; i++) {
                chunks[i] = data.chunk(order.index(global * batch + i));
            }
            double[] microExit = new double[layers];
            try (NDScope scope = new NDScope(); GradientCollector gc = trainer.newGradientCollector()) {
                scope.suppressNotUsedWarning();
                NDArray tokens = model.manager().create(chunks); // [batch, seq+1]
                int t = chunks[0].length - 1;
                NDArray input = tokens.get(new NDIndex().addAllDim().addSliceDim(0, t)); // [batch, seq]
                NDArray target = tokens.get(new NDIndex().addAllDim().addSliceDim(1, t + 1)); // [batch, seq]
                NDArray loss = ExitLossForward.loss(model, input, target, skip, weights, microExit);
                gc.backward(Scalars.div(loss, optim.gradAccumulation()));
                lossSum += loss.getFloat();
            }
            for (int l = 0; l < layers; l++) {
                perExit[l] += microExit[l] / optim.gradAccumulation();
            }
        }
        return lossSum;
    }

    static long mix(long seed, long n) {
        long z = seed * 0x9E3779B97F4A7C15L + n * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        return z ^ (z >>> 31);
    }

    /**
     * Scales all gradients so their global L2 norm is at most maxNorm (DJL's clipGrad is
     * element-wise); 0 turns clipping off.
     *
     * @return the norm before clipping
     */
    static double clipGradients(LlamaModel model, double maxNorm) {
        try (InferenceMode.NoGrad ignored = InferenceMode.noGrad(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            List<NDArray> grads = new ArrayList<>();
            NDList squares = new NDList();
            for (Parameter p : model.getParameters().values()) {
                NDArray g = p.getArray().getGradient();
                grads.add(g);
                squares.add(g.square().sum()); // []
            }
            // one read back to Java per step, summed in float64 like a host-side sum
            double norm = Math.sqrt(NDArrays.stack(squares).toType(DataType.FLOAT64, false).sum().getDouble());
            if (maxNorm > 0 && norm > maxNorm && Double.isFinite(norm)) {
                for (NDArray g : grads) {
                    g.muli((float) (maxNorm / (norm + 1e-6)));
                }
            }
            return norm;
        }
    }

    static void zeroGradients(LlamaModel model) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (Parameter p : model.getParameters().values()) {
                // assign zeros: multiplying by 0 would keep a NaN or infinity forever
                NDArray grad = p.getArray().getGradient();
                grad.set(new NDIndex().addAllDim(grad.getShape().dimension()), 0f);
            }
        }
    }

    private List<LayerPerplexity> evaluate(LlamaModel model, TokenCorpus corpus) {
        int[][] chunks = corpus.heldOut().length > 0 ? corpus.heldOut() : corpus.train();
        int n = Math.min(chunks.length, config.evalBatches() * config.optim().batchSize());
        // the same per-layer scoring as the eval command, each held-out chunk one window
        return new PerLayerEvaluator(model, chunks[0].length).evaluate(java.util.Arrays.copyOf(chunks, n));
    }

    private void saveFinal(LlamaModel model) throws IOException {
        Path out = config.outputDir().resolve("model");
        HfCheckpointWriter.write(out, model.config(), LlamaWeights.toHf(model, config.saveDType()), Long.MAX_VALUE);
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}) {
            Path src = config.tokenizerDir().resolve(f);
            if (Files.isRegularFile(src) && !src.toAbsolutePath().equals(out.resolve(f).toAbsolutePath())) {
                Files.copy(src, out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        JsonObject gen = new JsonObject();
        if (model.config().bosTokenId() >= 0) {
            gen.addProperty("bos_token_id", model.config().bosTokenId());
        }
        com.google.gson.JsonArray eos = new com.google.gson.JsonArray();
        model.config().eosTokenIds().forEach(eos::add);
        gen.add("eos_token_id", eos);
        HfCheckpointWriter.writeJson(out.resolve("generation_config.json"), gen);
    }
}
