package dev.layerskip.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;

import dev.layerskip.eval.ContinuationScore;
import dev.layerskip.generate.AutoregressiveGenerator;
import dev.layerskip.generate.GenerationConfig;
import dev.layerskip.generate.GenerationResult;
import dev.layerskip.generate.RepetitionControl;
import dev.layerskip.generate.TokenListener;
import dev.layerskip.model.LoadedModel;
import dev.layerskip.train.TokenCorpus;
import dev.layerskip.train.TrainConfigJson;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code eval-continuations}: greedy continuations of held-out documents under several repetition
 * settings, scored against the real continuation (token F1) and for degeneracy (repeated 4-grams,
 * distinct lines). How the demo's generation_config.json defaults were chosen.
 */
@Command(name = "eval-continuations", mixinStandardHelpOptions = true,
        description = "Score greedy continuations of held-out documents for several repetition_penalty / "
                + "no_repeat_ngram_size settings.")
final class ContinuationsCommand implements Callable<Integer> {

    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--held-out-of", paramLabel = "TRAIN.json", required = true,
            description = "Continue the documents that this training config held out.")
    Path heldOutOf;

    @Option(names = "--windows", paramLabel = "N", description = "Windows to continue, at most "
            + "--per-document from each held-out document, in file order (default: ${DEFAULT-VALUE}).")
    int documents = 60;

    @Option(names = "--per-document", paramLabel = "K", description = "Most windows from one document (default: ${DEFAULT-VALUE}).")
    int perDocument = 4;

    @Option(names = "--prompt-tokens", paramLabel = "P", description = "Prompt length, BOS included (default: ${DEFAULT-VALUE}).")
    int promptTokens = 128;

    @Option(names = "--new-tokens", paramLabel = "C", description = "Tokens generated and compared (default: ${DEFAULT-VALUE}).")
    int newTokens = 64;

    @Option(names = "--repetition-penalties", paramLabel = "R", split = ",",
            description = "Penalties to try (default: ${DEFAULT-VALUE}).")
    List<Double> penalties = List.of(1.0, 1.1, 1.2, 1.3);

    @Option(names = "--ngram-sizes", paramLabel = "N", split = ",", description = "N-gram bans to try (default: ${DEFAULT-VALUE}).")
    List<Integer> ngramSizes = List.of(0, 3, 4);

    @Option(names = "--json", description = "Print {\"settings\": [...]} instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (documents < 1 || perDocument < 1 || promptTokens < 2 || newTokens < 4) {
            throw new IllegalArgumentException("--windows and --per-document must be >= 1, --prompt-tokens >= 2 and "
                    + "--new-tokens >= 4, got " + documents + ", " + perDocument + ", " + promptTokens + ", " + newTokens);
        }
        List<RepetitionControl> settings = new ArrayList<>();
        for (double r : penalties) {
            for (int n : ngramSizes) {
                settings.add(RepetitionControl.of(r, n)); // names a bad value
            }
        }
        List<Path> heldOut = TokenCorpus.heldOutDocuments(TrainConfigJson.read(heldOutOf, java.util.Map.of()).data());
        try (LoadedModel loaded = modelOptions.load()) {
            if (loaded.tokenizer() == null) {
                throw new IllegalArgumentException(loaded.directory().resolve("tokenizer.json") + ": not found; eval-continuations needs a tokenizer");
            }
            if ((long) promptTokens + newTokens > loaded.model().config().maxPositions()) {
                throw new IllegalArgumentException("--prompt-tokens + --new-tokens must fit the context of "
                        + loaded.model().config().maxPositions());
            }
            List<int[][]> windows = windows(heldOut, loaded);
            if (windows.isEmpty()) {
                throw new IllegalArgumentException(heldOutOf + ": no held-out document has " + (promptTokens + newTokens) + " tokens");
            }
            AutoregressiveGenerator generator = new AutoregressiveGenerator(loaded.model(), loaded.tokenizer(), loaded.model().numLayers());
            JsonArray rows = new JsonArray();
            for (RepetitionControl s : settings) {
                double f1 = 0;
                double repeated = 0;
                double distinct = 0;
                for (int[][] w : windows) {
                    // no EOS: every continuation has C tokens, compared position for position with the real one
                    GenerationConfig config = GenerationConfig.greedy(newTokens, List.of()).withRepetition(s);
                    GenerationResult r = generator.generate(w[0], config, TokenListener.NONE);
                    f1 += ContinuationScore.tokenF1(r.tokenIds(), w[1]);
                    repeated += ContinuationScore.repeatedNgramFraction(r.tokenIds(), 4);
                    distinct += ContinuationScore.distinctLineFraction(r.text());
                }
                JsonObject o = new JsonObject();
                o.addProperty("repetition_penalty", s.repetitionPenalty());
                o.addProperty("no_repeat_ngram_size", s.noRepeatNgramSize());
                o.addProperty("token_f1", f1 / windows.size());
                o.addProperty("repeated_4gram_fraction", repeated / windows.size());
                o.addProperty("distinct_line_fraction", distinct / windows.size());
                rows.add(o);
            }
            print(rows, windows.size(), loaded);
        }
        return 0;
    }

    /**
     * Consecutive windows of each document, skipping its first tokens (often a licence or docstring):
     * {prompt (BOS + P-1 tokens), the real next C tokens}.
     */
    private List<int[][]> windows(List<Path> files, LoadedModel loaded) throws java.io.IOException {
        List<int[][]> out = new ArrayList<>();
        int bos = loaded.defaults().bosTokenId();
        for (Path f : files) {
            if (out.size() == documents) {
                break;
            }
            int[] ids = TokenCorpus.encodeDocuments(List.of(f), loaded.tokenizer(), -1);
            int from = ids.length > 0 && ids[0] == bos ? 1 : 0;
            int need = promptTokens - 1 + newTokens;
            if (ids.length - from < need) {
                continue;
            }
            int skip = Math.min(need, (ids.length - from - need) / 2);
            for (int k = 0, start = from + skip; k < perDocument && start + need <= ids.length && out.size() < documents;
                    k++, start += need) {
                int[] prompt = new int[promptTokens];
                prompt[0] = bos;
                System.arraycopy(ids, start, prompt, 1, promptTokens - 1);
                out.add(new int[][] {prompt, Arrays.copyOfRange(ids, start + promptTokens - 1, start + need)});
            }
        }
        return out;
    }

    private void print(JsonArray rows, int windows, LoadedModel loaded) {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            JsonObject root = new JsonObject();
            root.addProperty("windows", windows);
            root.addProperty("prompt_tokens", promptTokens);
            root.addProperty("new_tokens", newTokens);
            root.add("settings", rows);
            out.println(new GsonBuilder().create().toJson(root));
            return;
        }
        out.printf("%-18s %-20s %9s %16s %15s%n", "repetition_penalty", "no_repeat_ngram_size", "token_f1",
                "repeated_4grams", "distinct_lines");
        for (int i = 0; i < rows.size(); i++) {
            JsonObject o = rows.get(i).getAsJsonObject();
            out.printf("%-18.2f %-20d %9.3f %16.3f %15.3f%n", o.get("repetition_penalty").getAsDouble(),
                    o.get("no_repeat_ngram_size").getAsInt(), o.get("token_f1").getAsDouble(),
                    o.get("repeated_4gram_fraction").getAsDouble(), o.get("distinct_line_fraction").getAsDouble());
        }
        out.printf("(%d windows of held-out documents, %d prompt tokens, %d greedy tokens each, full model of %d layers)%n",
                windows, promptTokens, newTokens, loaded.model().numLayers());
    }
}
