package dev.layerskip.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import dev.layerskip.eval.LayerPerplexity;
import dev.layerskip.eval.PerLayerEvaluator;
import dev.layerskip.model.LoadedModel;
import dev.layerskip.train.TokenCorpus;
import dev.layerskip.train.TrainConfigJson;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code eval}: per-exit-layer NLL and perplexity of a text, in one pass over the model. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Mean next-token NLL and perplexity at every exit layer 1..L over a text file.")
final class EvalCommand implements Callable<Integer> {

    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--text-file", paramLabel = "F", description = "UTF-8 text to score.")
    Path textFile;

    @Option(names = "--held-out-of", paramLabel = "TRAIN.json",
            description = "Score the documents that this training config held out (instead of --text-file).")
    Path heldOutOf;

    @Option(names = "--max-tokens", paramLabel = "N", description = "Score at most N tokens (default: all).")
    Integer maxTokens;

    @Option(names = "--window", paramLabel = "W", description = "Tokens per window: the first W-1 go through the model and predict the next (default: min(512, context)).")
    Integer window;

    @Option(names = "--json", description = "Print {\"layers\": [...]} instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (maxTokens != null && maxTokens < 2) {
            throw new IllegalArgumentException("--max-tokens must be >= 2, got " + maxTokens);
        }
        if ((textFile == null) == (heldOutOf == null)) {
            throw new IllegalArgumentException("give exactly one of --text-file and --held-out-of");
        }
        String text = null;
        List<Path> heldOut = null;
        if (textFile != null) {
            try {
                text = Files.readString(textFile, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException(textFile + ": text file not found", e);
            }
        } else {
            heldOut = TokenCorpus.heldOutDocuments(TrainConfigJson.read(heldOutOf, java.util.Map.of()).data());
            if (heldOut.isEmpty()) {
                throw new IllegalArgumentException(heldOutOf + ": the config holds out no documents");
            }
        }
        try (LoadedModel loaded = modelOptions.load()) {
            if (loaded.tokenizer() == null) {
                throw new IllegalArgumentException(loaded.directory().resolve("tokenizer.json") + ": not found; eval needs a tokenizer");
            }
            int eos = loaded.defaults().eosTokenIds().isEmpty() ? -1 : loaded.defaults().eosTokenIds().get(0);
            // held-out documents are joined exactly as training joins them (each with its BOS, then EOS)
            int[] ids = text != null ? loaded.tokenizer().encode(text)
                    : TokenCorpus.encodeDocuments(heldOut, loaded.tokenizer(), eos);
            if (maxTokens != null && ids.length > maxTokens) {
                ids = Arrays.copyOf(ids, maxTokens);
            }
            if (ids.length < 2) {
                throw new IllegalArgumentException("the text needs at least 2 tokens, has " + ids.length);
            }
            int w = window != null ? window : Math.min(512, loaded.model().config().maxPositions());
            List<LayerPerplexity> layers = new PerLayerEvaluator(loaded.model(), w).evaluate(ids);
            print(layers);
        }
        return 0;
    }

    private void print(List<LayerPerplexity> layers) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            JsonArray array = new JsonArray();
            for (LayerPerplexity l : layers) {
                JsonObject o = new JsonObject();
                o.addProperty("exit_layer", l.exitLayer());
                o.addProperty("nll", l.nll());
                o.addProperty("perplexity", l.perplexity());
                o.addProperty("tokens", l.tokens());
                array.add(o);
            }
            JsonObject root = new JsonObject();
            root.add("layers", array);
            out.println(new GsonBuilder().create().toJson(root));
            return;
        }
        out.printf("%-10s %10s %12s%n", "exit_layer", "nll", "perplexity");
        for (LayerPerplexity l : layers) {
            out.printf("%-10d %10.4f %12.3f%n", l.exitLayer(), l.nll(), l.perplexity());
        }
        out.printf("(%d predicted tokens)%n", layers.get(0).tokens());
    }
}
