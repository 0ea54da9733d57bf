package dev.layerskip.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.layerskip.cli.Main;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

/** train and eval --held-out-of through the command line, flags overriding config keys. */
class TrainCliTest {

    @TempDir Path dir;

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new String[] {String.valueOf(status), out.toString(), err.toString()};
    }

    @Test
    void trainsWithFlagOverridesThenEvaluatesTheHeldOutDocuments() throws IOException {
        Path cfg = TinyRun.write(dir, "");
        String[] r = run("train", "--config", cfg.toString(), "--optim.steps", "2", "--layer_dropout.p_max", "0.3",
                "--early_exit.enabled", "true", "--early_exit.curriculum", "gradual", "--early_exit.gradual_steps", "2");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("2/2 loss"), r[1]);
        assertTrue(r[1].contains("held-out perplexity per exit layer: 1:"), r[1]);
        Path model = dir.resolve("out/model");
        assertTrue(Files.isRegularFile(model.resolve("model.safetensors")));
        String[] e = run("eval", "--model", model.toString(), "--held-out-of", cfg.toString(), "--json");
        assertEquals("0", e[0], e[2]);
        assertTrue(e[1].contains("\"exit_layer\":3"), e[1]);
    }

    @Test
    void continuesFromAHuggingFaceCheckpointAndWritesBf16() throws IOException {
        Path cfg = TinyRun.write(dir, "");
        String init = dev.layerskip.TestCheckpoints.LLAMA3.toAbsolutePath().toString();
        // init_from replaces the architecture: drop "model" by pointing a fresh config at the fixture
        String json = Files.readString(cfg).replaceFirst("\"model\":\\{[^}]*\\},", "\"init_from\":\"" + init + "\",");
        Files.writeString(cfg, json);
        String[] r = run("train", "--config", cfg.toString(), "--optim.steps", "2", "--save_dtype", "bf16");
        assertEquals("0", r[0], r[2]);
        Path model = dir.resolve("out/model");
        try (var loaded = dev.layerskip.model.LoadedModel.load(model, dev.layerskip.model.LoadOptions.CPU_FLOAT32)) {
            assertEquals(4, loaded.model().numLayers()); // the fixture's architecture
            assertEquals(dev.layerskip.checkpoint.TensorDType.BF16, loaded.storedType());
        }
    }

    @Test
    void badTrainingInputFailsClearly() throws IOException {
        Path cfg = TinyRun.write(dir, "");
        String[] r = run("train", "--config", cfg.toString(), "--early_exit.scale", "cubic");
        assertEquals("1", r[0]);
        assertTrue(r[2].contains("unknown early-exit scale 'cubic'"), r[2]);
        assertTrue(!r[2].contains("\tat "), r[2]);
        r = run("train", "--config", dir.resolve("missing.json").toString());
        assertTrue(r[2].contains("missing.json: file not found"), r[2]);
        r = run("train", "--config", cfg.toString(), "--optim.steps");
        assertTrue(r[2].contains("option --optim.steps needs a value"), r[2]);
    }
}
