package dev.layerskip.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;

import dev.layerskip.TestCheckpoints;
import dev.layerskip.checkpoint.CheckpointException;
import dev.layerskip.checkpoint.HfCheckpoint;
import dev.layerskip.model.InferenceMode;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.LlamaWeights;
import dev.layerskip.model.LoadOptions;
import dev.layerskip.model.LoadedModel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The early-exit loss on a toy case, plain-training equivalence, frozen skipped layers, resume. */
class TrainerTest {

    @TempDir Path dir;

    @Test
    void earlyExitLossEqualsTheWeightedSumComputedByHand() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LlamaModel model = TestCheckpoints.randomModel(manager, TestCheckpoints.tinyConfig(), 9);
            InferenceMode.enterOnThisThread();
            int[][] ids = {{1, 7, 12, 33, 4, 19}, {1, 5, 9, 40, 41, 2}};
            NDArray input = manager.create(new int[][] {{1, 7, 12, 33, 4}, {1, 5, 9, 40, 41}});
            NDArray target = manager.create(new int[][] {{7, 12, 33, 4, -1}, {5, 9, 40, 41, 2}}); // one padded target
            double[] weights = {0.2, 0.3, 0.5};
            double[] per = new double[3];
            double loss = ExitLossForward.loss(model, input, target, null, weights, per).getFloat();
            double expected = 0;
            for (int e = 1; e <= 3; e++) {
                float[] logits = model.logits(input, e).toFloatArray(); // [2·5·vocab]
                double nll = 0;
                int count = 0;
                for (int b = 0; b < 2; b++) {
                    for (int t = 0; t < 5; t++) {
                        int y = ids[b][t + 1];
                        if (b == 0 && t == 4) {
                            continue; // padded
                        }
                        int off = (b * 5 + t) * 50;
                        double max = Double.NEGATIVE_INFINITY;
                        for (int v = 0; v < 50; v++) {
                            max = Math.max(max, logits[off + v]);
                        }
                        double z = 0;
                        for (int v = 0; v < 50; v++) {
                            z += Math.exp(logits[off + v] - max);
                        }
                        nll += -(logits[off + y] - max - Math.log(z));
                        count++;
                    }
                }
                assertEquals(nll / count, per[e - 1], 1e-5, "exit " + e);
                expected += weights[e - 1] * nll / count;
            }
            assertEquals(expected, loss, 1e-5);
        }
    }

    @Test
    void frozenLayersAreNotTouchedByTheOptimizer() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            LlamaModel model = TestCheckpoints.randomModel(manager, TestCheckpoints.tinyConfig(), 4);
            OptimConfig optim = new OptimConfig(1, 2, 1, 0.05, 0, 0.1, 0.5, 0.9, 0.95, 1e-8, 0);
            SkippingAdamW adam = new SkippingAdamW(manager, optim);
            JniUtils.setGradMode(false);
            // one step everywhere, so every parameter has momentum
            for (Parameter p : model.getParameters().values()) {
                adam.update(p.getId(), p.getArray(), p.getArray().onesLike());
            }
            Set<String> layer1 = Set.copyOf(model.layers().get(1).getParameters().values().stream().map(Parameter::getId).toList());
            Map<String, float[]> before = new java.util.HashMap<>();
            for (Parameter p : model.getParameters().values()) {
                before.put(p.getId(), p.getArray().toFloatArray());
            }
            adam.freeze(layer1);
            for (Parameter p : model.getParameters().values()) {
                adam.update(p.getId(), p.getArray(), p.getArray().zerosLike()); // zero gradient: only decay/momentum would move it
            }
            for (Parameter p : model.getParameters().values()) {
                boolean same = java.util.Arrays.equals(before.get(p.getId()), p.getArray().toFloatArray());
                assertEquals(layer1.contains(p.getId()), same, p.getName() + " frozen=" + layer1.contains(p.getId()));
            }
        }
    }

    @Test
    void noDropoutAndNoEarlyExitIsPlainTraining() throws IOException {
        Path cfgFile = TinyRun.write(dir, "");
        TrainConfig cfg = TrainConfigJson.read(cfgFile, Map.of());
        List<Double> losses = new LayerSkipTrainer(cfg, TrainingProgress.NONE).run(false);
        assertEquals(6, losses.size());
        assertTrue(losses.get(5) < losses.get(0), "loss went down: " + losses);
        // Plain training: the full model's forward (Block.forward), next-token CE, the same optimizer and data.
        Path plain = dir.resolve("plain");
        Files.createDirectories(plain);
        TrainConfig same = TrainConfigJson.read(TinyRun.write(plain, ""), Map.of());
        List<Double> plainLosses = PlainTraining.run(same);
        assertEquals(losses, plainLosses);
        try (HfCheckpoint a = HfCheckpoint.open(cfg.outputDir().resolve("model"));
                HfCheckpoint b = HfCheckpoint.open(plain.resolve("plain-model"));
                NDManager m = NDManager.newBaseManager("PyTorch")) {
            LlamaModel ma = LlamaWeights.load(a, m, DataType.FLOAT32);
            LlamaModel mb = LlamaWeights.load(b, m, DataType.FLOAT32);
            for (int i = 0; i < ma.getParameters().size(); i++) {
                assertArrayEquals(ma.getParameters().get(i).getValue().getArray().toFloatArray(),
                        mb.getParameters().get(i).getValue().getArray().toFloatArray(), ma.getParameters().get(i).getKey());
            }
        }
    }

    @Test
    void resumeReproducesTheLossesOfAnUninterruptedRun() throws IOException {
        String recipe = ", \"layer_dropout\": {\"p_max\": 0.5, \"per_layer\": \"linear\", \"per_step\": \"constant\"},"
                + " \"early_exit\": {\"enabled\": true, \"scale\": \"sum_l\", \"curriculum\": \"rotational\", \"rotation\": 2},"
                + " \"checkpoint_every\": 3";
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        Files.createDirectories(a);
        Files.createDirectories(b);
        List<Double> whole = new LayerSkipTrainer(TrainConfigJson.read(TinyRun.write(a, recipe), Map.of()), TrainingProgress.NONE).run(false);
        TrainConfig cfgB = TrainConfigJson.read(TinyRun.write(b, recipe), Map.of("optim.steps", "3"));
        List<Double> first = new LayerSkipTrainer(cfgB, TrainingProgress.NONE).run(false);
        // a killed run leaves at most an "incomplete-" directory, which resume ignores
        Files.createDirectories(cfgB.outputDir().resolve("checkpoints").resolve("incomplete-123"));
        List<Double> rest = new LayerSkipTrainer(TrainConfigJson.read(b.resolve("train.json"), Map.of()), TrainingProgress.NONE).run(true);
        assertEquals(whole.subList(0, 3), first);
        assertEquals(whole.subList(3, 6), rest);
        try (LoadedModel m = LoadedModel.load(b.resolve("out").resolve("model"), LoadOptions.CPU_FLOAT32)) {
            assertEquals(3, m.model().numLayers());
            assertTrue(Files.isRegularFile(b.resolve("out/model/tokenizer.json")));
        }
    }

    @Test
    void badConfigsAndCorporaAreRejectedClearly() throws IOException {
        Path cfg = TinyRun.write(dir, "");
        assertMessage(cfg, Map.of("layer_dropout.per_layer", "cubic"), "unknown layer dropout per-layer scale 'cubic'");
        assertMessage(cfg, Map.of("early_exit.curriculum", "random"), "unknown early-exit curriculum 'random'");
        assertMessage(cfg, Map.of("data.seq_len", "100"), "data.seq_len 100 is above the model's max_position_embeddings 64");
        assertMessage(cfg, Map.of("optim.nonsense", "1"), "unknown option --optim.nonsense");
        assertMessage(cfg, Map.of("optim.steps", "1.5"), "key 'steps' must be a whole number, got 1.5");
        assertMessage(cfg, Map.of("optim.batch_size", "1e12"), "key 'batch_size' is out of range");
        Files.writeString(dir.resolve("broken.json"), "{\"output_dir\": ");
        CheckpointException e = assertThrows(CheckpointException.class, () -> TrainConfigJson.read(dir.resolve("broken.json"), Map.of()));
        assertTrue(e.getMessage().contains("malformed JSON"), e.getMessage());
        Files.writeString(dir.resolve("extra.json"), Files.readString(cfg).replace("\"seed\"", "\"sede\""));
        e = assertThrows(CheckpointException.class, () -> TrainConfigJson.read(dir.resolve("extra.json"), Map.of()));
        assertTrue(e.getMessage().contains("unknown key 'sede'"), e.getMessage());

        Path empty = dir.resolve("empty");
        Files.createDirectories(empty);
        TrainConfig emptyCfg = TrainConfigJson.read(cfg, Map.of("data.paths", empty.toString()));
        IOException io = assertThrows(IOException.class, () -> new LayerSkipTrainer(emptyCfg, TrainingProgress.NONE).run(false));
        assertTrue(io.getMessage().contains("the corpus is empty"), io.getMessage());
        TrainConfig bigBatch = TrainConfigJson.read(cfg, Map.of("optim.batch_size", "500"));
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class,
                () -> new LayerSkipTrainer(bigBatch, TrainingProgress.NONE).run(false));
        assertTrue(small.getMessage().contains("the corpus is too small for a batch"), small.getMessage());
        assertFalse(Files.exists(dir.resolve("out/model")));
    }

    private static void assertMessage(Path cfg, Map<String, String> overrides, String fragment) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> TrainConfigJson.read(cfg, overrides));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }
}
