package dev.layerskip.train;

import dev.layerskip.CliRun;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;


import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** train and eval --held-out-of through the command line, flags overriding config keys. */
class TrainCliTest {

    @TempDir Path dir;


    @Test
    void trainsWithFlagOverridesThenEvaluatesTheHeldOutDocuments() throws IOException {
        Path cfg = TinyRun.write(dir, "");
        CliRun.Result r = CliRun.run("train", "--config", cfg.toString(), "--optim.steps", "2", "--layer_dropout.p_max", "0.3",
                "--early_exit.enabled", "true", "--early_exit.curriculum", "gradual", "--early_exit.gradual_steps", "2");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("2/2 loss"), r.out());
        assertTrue(r.out().contains("held-out perplexity per exit layer: 1:"), r.out());
        Path model = dir.resolve("out/model");
        assertTrue(Files.isRegularFile(model.resolve("model.safetensors")));
        CliRun.Result e = CliRun.run("eval", "--model", model.toString(), "--held-out-of", cfg.toString(), "--json");
        assertEquals(0, e.status(), e.err());
        assertTrue(e.out().contains("\"exit_layer\":3"), e.out());
    }

    @Test
    void continuesFromAHuggingFaceCheckpointAndWritesBf16() throws IOException {
        Path cfg = TinyRun.write(dir, "");
        String init = dev.layerskip.TestCheckpoints.LLAMA3.toAbsolutePath().toString();
        // init_from replaces the architecture: drop "model" by pointing a fresh config at the fixture
        String json = Files.readString(cfg).replaceFirst("\"model\":\\{[^}]*\\},", "\"init_from\":\"" + init + "\",");
        Files.writeString(cfg, json);
        CliRun.Result r = CliRun.run("train", "--config", cfg.toString(), "--optim.steps", "2", "--save_dtype", "bf16");
        assertEquals(0, r.status(), r.err());
        Path model = dir.resolve("out/model");
        try (var loaded = dev.layerskip.model.LoadedModel.load(model, dev.layerskip.model.LoadOptions.CPU_FLOAT32)) {
            assertEquals(4, loaded.model().numLayers()); // the fixture's architecture
            assertEquals(dev.layerskip.checkpoint.TensorDType.BF16, loaded.storedType());
        }
    }

    @Test
    void badTrainingInputFailsClearly() throws IOException {
        Path cfg = TinyRun.write(dir, "");
        CliRun.Result r = CliRun.run("train", "--config", cfg.toString(), "--early_exit.scale", "cubic");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("unknown early-exit scale 'cubic'"), r.err());
        assertTrue(!r.err().contains("\tat "), r.err());
        r = CliRun.run("train", "--config", dir.resolve("missing.json").toString());
        assertTrue(r.err().contains("missing.json: file not found"), r.err());
        r = CliRun.run("train", "--config", cfg.toString(), "--optim.steps");
        assertTrue(r.err().contains("option --optim.steps needs a value"), r.err());
    }
}
