package dev.layerskip.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import dev.layerskip.bench.BenchPrompts;
import dev.layerskip.bench.ForcedAgreement;
import dev.layerskip.bench.RandomShape;
import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.LlamaConfigJson;
import dev.layerskip.checkpoint.SpeculationDefaults;
import dev.layerskip.checkpoint.TensorDType;
import dev.layerskip.checkpoint.TensorEdit;
import dev.layerskip.checkpoint.TokenCounts;
import dev.layerskip.generate.DraftScorer;
import dev.layerskip.model.DeviceCheck;
import dev.layerskip.model.LlamaModel;
import dev.layerskip.model.LlamaWeights;
import dev.layerskip.model.LoadedModel;
import dev.layerskip.model.WeightLayout;
import dev.layerskip.tokenizer.TextTokenizer;

import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The model and prompts of {@code bench}, {@code sweep} and {@code correctness}. */
final class BenchModelOptions {

    @Mixin ModelOptions modelOptions;

    @Option(names = "--random-shape", paramLabel = "demo|llama3.2-1b",
            description = "Use seeded random weights of this shape instead of --model (random prompt ids).")
    String randomShape;

    @Option(names = "--prompts-file", paramLabel = "F",
            description = "Prompts, one per line (\\n for newlines); default: built-in Python openings.")
    Path promptsFile;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Tokens per run (default: ${DEFAULT-VALUE}).")
    int newTokens = 64;

    @Option(names = "--agree-from", paramLabel = "E0",
            description = "Make layers E0..L-1 inert (zero o_proj and down_proj): every exit >= E0 agrees with the full"
                    + " model, so drafts are always accepted and the speed-up ceiling of the implementation is measured.")
    Integer agreeFrom;

    /** A model opened for benchmarking, with what the commands need from it. */
    static final class Opened implements AutoCloseable {
        final String name;
        final LlamaModel model;
        final TextTokenizer tokenizer;
        final Optional<SpeculationDefaults> defaults;
        final Path directory;
        final List<int[]> prompts;
        /** The token counts that rank draft vocabularies: the checkpoint's, by id for random shapes; null if none was asked for. */
        TokenCounts counts;
        private final Runnable closer;

        Opened(String name, LlamaModel model, TextTokenizer tokenizer, Optional<SpeculationDefaults> defaults,
                Path directory, List<int[]> prompts, Runnable closer) {
            this.name = name;
            this.model = model;
            this.tokenizer = tokenizer;
            this.defaults = defaults;
            this.directory = directory;
            this.prompts = prompts;
            this.closer = closer;
        }

        /**
         * @param n N
         * @return the scorer of drafts over the N most frequent tokens
         */
        DraftScorer drafter(int n) {
            return DraftScorer.restricted(model, counts.topIds(n));
        }

        @Override
        public void close() {
            closer.run();
        }
    }

    private String agreementNote() {
        return agreeFrom == null ? "" : ", layers " + agreeFrom + "+ inert (forced agreement)";
    }

    Opened open() throws IOException {
        return open(null);
    }

    /**
     * Opens the model; with draft vocabulary sizes, also its token counts (random shapes rank ids by
     * number). Under forced agreement the model is built with inert layers and, with draft vocabularies, with its
     * head restricted to the smallest one (see {@link ForcedAgreement}), so that every draft is accepted.
     *
     * @param draftVocabs draft vocabulary sizes the command will use, or null/empty for none
     */
    Opened open(int[] draftVocabs) throws IOException {
        if (newTokens < 4) {
            throw new IllegalArgumentException("--max-new-tokens must be >= 4 for a benchmark, got " + newTokens);
        }
        RandomShape shape = randomShape == null ? null : RandomShape.fromName(randomShape);
        Path directory = shape == null ? modelOptions.checkedDirectory() : null;
        LlamaConfig config = shape != null ? shape.config() : LlamaConfigJson.read(directory.resolve("config.json"));
        TensorEdit edit = agreeFrom == null ? TensorEdit.NONE : ForcedAgreement.inertFrom(config, agreeFrom);
        TokenCounts counts = null;
        if (draftVocabs != null && draftVocabs.length > 0) {
            int v = config.vocabSize();
            int smallest = Integer.MAX_VALUE;
            for (int n : draftVocabs) {
                if (n < 1 || n > v) {
                    throw new IllegalArgumentException("--draft-vocab must be in 1.." + v + " (the vocabulary), got " + n);
                }
                smallest = Math.min(smallest, n);
            }
            counts = directory == null ? TokenCounts.byId(v) : TokenCounts.read(directory, v);
            if (agreeFrom != null) {
                edit = edit.andThen(ForcedAgreement.restrictedHead(config, counts.topIds(smallest)));
            }
        }
        Opened m = shape != null ? openRandom(shape, edit) : openCheckpoint(edit);
        m.counts = counts;
        return m;
    }

    private Opened openRandom(RandomShape shape, TensorEdit edit) throws IOException {
        DeviceCheck.require(modelOptions.device());
        DataType type = modelOptions.precision().resolve(modelOptions.device(),
                TensorDType.fromTorchDtype(shape.config().torchDtype()));
        NDManager manager = NDManager.newBaseManager("PyTorch");
        try {
            WeightLayout layout = modelOptions.precision().layoutFor(modelOptions.layout()).resolve(modelOptions.device(), type, shape.config());
            LlamaModel model = new LlamaModel(manager, shape.config(), type, layout, modelOptions.kvCache());
            LlamaWeights.initRandom(model, manager, 42, 0.02f, edit);
            List<int[]> prompts = BenchPrompts.load(null, null, shape.config().vocabSize(), 4);
            return new Opened("random " + randomShape + " (" + type + ", " + model.layout().name().toLowerCase(java.util.Locale.ROOT) + ", "
                    + model.kvCacheType().label() + " KV cache)" + agreementNote(), model, null, Optional.empty(), null, prompts, manager::close);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private Opened openCheckpoint(TensorEdit edit) throws IOException {
        LoadedModel loaded = modelOptions.load(edit);
        try {
            List<int[]> prompts = BenchPrompts.load(promptsFile, loaded.tokenizer(), loaded.model().config().vocabSize(), 4);
            return new Opened(loaded.directory() + " (" + loaded.model().weightType() + ", "
                    + loaded.model().layout().name().toLowerCase(java.util.Locale.ROOT) + String.format(java.util.Locale.ROOT,
                    ", loaded in %.2f s, %.1f MiB of weights held", loaded.loadSeconds(), loaded.model().weightBytes() / 1048576.0)
                    + ")" + agreementNote(), loaded.model(), loaded.tokenizer(),
                    loaded.speculationDefaults(), loaded.directory(), prompts, loaded::close);
        } catch (IOException | RuntimeException e) {
            loaded.close();
            throw e;
        }
    }
}
