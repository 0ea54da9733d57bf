package dev.layerskip.cli;

import dev.layerskip.checkpoint.LlamaConfig;
import dev.layerskip.checkpoint.LlamaConfigJson;
import dev.layerskip.checkpoint.TokenCounts;
import dev.layerskip.tokenizer.CorpusTokenCounter;
import dev.layerskip.tokenizer.HfTextTokenizer;
import dev.layerskip.train.TokenCorpus;
import dev.layerskip.train.TrainConfigJson;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code count-tokens}: counts token frequencies of a corpus once with the checkpoint's tokenizer and
 * writes {@code token_counts.json} beside its config.json, from which {@code --draft-vocab N} takes the
 * N most frequent tokens.
 */
@Command(name = "count-tokens", mixinStandardHelpOptions = true,
        description = "Count token frequencies of a corpus and write token_counts.json beside the checkpoint (for --draft-vocab).")
final class CountTokensCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--model", paramLabel = "DIR", description = "Checkpoint directory (default: ${DEFAULT-VALUE}).")
    Path model = ModelOptions.DEFAULT_MODEL;

    @Option(names = "--corpus", arity = "1..*", paramLabel = "PATH",
            description = "Text files, or directories walked for files (see --extension, --exclude).")
    List<Path> corpus = new ArrayList<>();

    @Option(names = "--extension", paramLabel = "EXT", description = "Only files of directories ending so (repeatable, e.g. .py).")
    List<String> extensions = new ArrayList<>();

    @Option(names = "--exclude", paramLabel = "TEXT", description = "Skip files of directories whose path contains this (repeatable).")
    List<String> excludes = new ArrayList<>();

    @Option(names = "--recipe", paramLabel = "TRAIN.json",
            description = "Count the training documents of a training config instead (its data section; held-out files left out).")
    Path recipe;

    @Override
    public Integer call() throws Exception {
        LlamaConfig config = LlamaConfigJson.read(model.resolve("config.json"));
        List<Path> files = recipe != null ? recipeFiles() : corpusFiles();
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no corpus files: give --corpus PATH... or --recipe TRAIN.json");
        }
        CorpusTokenCounter counter;
        try (HfTextTokenizer tokenizer = HfTextTokenizer.load(model)) {
            counter = new CorpusTokenCounter(tokenizer, config.vocabSize()).addAll(files);
        }
        TokenCounts counts = counter.counts();
        List<String> names = recipe != null ? List.of(recipe.toString()) : corpus.stream().map(Path::toString).toList();
        Path written = counts.write(model, names);
        var out = spec.commandLine().getOut();
        out.printf("counted %d tokens in %d files (%d skipped: not UTF-8); wrote %s%n", counts.total(), counter.files(),
                counter.skipped(), written);
        for (int n : new int[] {256, 512, 1024, 2048, 4096, 16384, 32768}) {
            if (n < config.vocabSize()) {
                out.printf("  the %d most frequent tokens cover %.1f %% of the corpus%n", n, 100 * counts.coverage(n));
            }
        }
        return 0;
    }

    private List<Path> recipeFiles() throws IOException {
        if (!corpus.isEmpty()) {
            throw new IllegalArgumentException("give either --corpus or --recipe, not both");
        }
        return TokenCorpus.trainingDocuments(TrainConfigJson.read(recipe, Map.of()).data());
    }

    private List<Path> corpusFiles() throws IOException {
        List<Path> out = new ArrayList<>();
        for (Path p : corpus) {
            if (Files.isRegularFile(p)) {
                out.add(p);
            } else if (Files.isDirectory(p)) {
                try (Stream<Path> walk = Files.walk(p)) {
                    walk.filter(Files::isRegularFile)
                            .filter(f -> extensions.isEmpty() || extensions.stream().anyMatch(e -> f.toString().endsWith(e)))
                            .filter(f -> excludes.stream().noneMatch(x -> f.toString().contains(x)))
                            .sorted()
                            .forEach(out::add);
                }
            } else {
                throw new IllegalArgumentException("--corpus: no file or directory " + p);
            }
        }
        return out;
    }
}
