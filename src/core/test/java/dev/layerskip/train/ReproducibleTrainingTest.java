package dev.layerskip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Training is a function of the config and the seed: 20 runs of a CI-sized config with layer dropout
 * and the rotational early-exit loss give bit-identical losses and final weights, half of them while a
 * thread forces garbage collections (which, before {@code Scalars}, freed scalars autograd still held
 * and made the gradients non-finite). Interrupted checkpoint writes are cleaned up on the next start.
 */
class ReproducibleTrainingTest {

    static final int RUNS = 20;
    private static final String EXTRA = ", \"layer_dropout\": {\"p_max\": 0.3, \"per_layer\": \"exp\", \"per_step\": \"linear\","
            + " \"ramp_steps\": 8}, \"early_exit\": {\"enabled\": true, \"scale\": \"sum_l\", \"e_scale\": 0.2,"
            + " \"curriculum\": \"rotational\", \"rotation\": 2}, \"checkpoint_every\": 0";

    @TempDir Path dir;

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @Test
    void twentyRunsAreBitIdentical() throws Exception {
        Map<String, Integer> weights = new TreeMap<>();
        Map<String, Integer> losses = new TreeMap<>();
        for (int run = 0; run < RUNS; run++) {
            Thread collector = null;
            if (run % 2 == 1) { // garbage collections during forward and backward
                collector = new Thread(() -> {
                    while (!Thread.currentThread().isInterrupted()) {
                        System.gc();
                        try {
                            Thread.sleep(2);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "gc-pressure");
                collector.setDaemon(true);
                collector.start();
            }
            Path runDir = dir.resolve("run" + run);
            Files.createDirectories(runDir);
            Path cfg = TinyRun.write(runDir, EXTRA);
            TrainConfig config = TrainConfigJson.read(cfg, Map.of("optim.steps", "12"));
            List<Double> l;
            try {
                l = new LayerSkipTrainer(config, new TrainingProgress() { }).run(false);
            } finally {
                if (collector != null) {
                    collector.interrupt();
                    collector.join();
                }
            }
            losses.merge(l.toString(), 1, Integer::sum);
            weights.merge(sha256(config.outputDir().resolve("model").resolve("model.safetensors")), 1, Integer::sum);
            assertTrue(l.stream().allMatch(Double::isFinite), "run " + run + " had a skipped (non-finite) step: " + l);
        }
        assertEquals(1, weights.size(), "final weights by sha256 -> runs: " + weights);
        assertEquals(1, losses.size(), "loss curves -> runs: " + losses);
    }

    @Test
    void incompleteCheckpointDirectoriesAreRemovedOnTheNextStart() throws IOException {
        Path cfg = TinyRun.write(dir, "");
        TrainConfig config = TrainConfigJson.read(cfg, Map.of("optim.steps", "2"));
        Path leftover = config.outputDir().resolve("checkpoints").resolve("incomplete-12345");
        Files.createDirectories(leftover);
        Files.writeString(leftover.resolve("model.safetensors"), "partial");
        new LayerSkipTrainer(config, new TrainingProgress() { }).run(true);
        assertFalse(Files.exists(leftover), "the interrupted write's directory is gone");
        try (var dirs = Files.list(config.outputDir().resolve("checkpoints"))) {
            assertEquals(List.of("step-0000002"), dirs.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }
}
