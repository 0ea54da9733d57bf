package dev.layerskip.cli;

import dev.layerskip.eval.LayerPerplexity;
import dev.layerskip.train.LayerSkipTrainer;
import dev.layerskip.train.TrainConfig;
import dev.layerskip.train.TrainConfigJson;
import dev.layerskip.train.TrainingProgress;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code train --config FILE.json [--resume] [--KEY VALUE ...]}: LayerSkip training; any config key
 * can be given as a flag of its dotted path, e.g. {@code --optim.steps 100 --layer_dropout.p_max 0.2}.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Train or fine-tune with layer dropout and early-exit loss (every config key also as --section.key VALUE).")
final class TrainCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Option(names = "--config", required = true, paramLabel = "FILE.json", description = "The training config.")
    Path config;

    @Option(names = "--resume", description = "Continue from the latest step checkpoint in output_dir.")
    boolean resume;

    @Option(names = "--quiet", description = "Print only evaluations and the end.")
    boolean quiet;

    @Unmatched List<String> overrides = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        TrainConfig cfg = TrainConfigJson.read(config, overrideFlags());
        PrintWriter out = spec.commandLine().getOut();
        long begin = System.nanoTime();
        new LayerSkipTrainer(cfg, progress(out)).run(resume);
        out.printf(Locale.ROOT, "done in %.1f min; model written to %s%n", (System.nanoTime() - begin) / 6e10,
                cfg.outputDir().resolve("model"));
        return 0;
    }

    // the --KEY VALUE and --KEY=VALUE arguments picocli left unmatched, by dotted key
    private Map<String, String> overrideFlags() {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 0; i < overrides.size(); i++) {
            String a = overrides.get(i);
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "'");
            }
            String key = a.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (i + 1 < overrides.size()) {
                value = overrides.get(++i);
            } else {
                throw new IllegalArgumentException("option --" + key + " needs a value");
            }
            flags.put(key, value);
        }
        return flags;
    }

    // prints a progress bar per step (only the last with --quiet), evaluations and checkpoints
    private TrainingProgress progress(PrintWriter out) {
        return new TrainingProgress() {
            @Override
            public void onStep(long step, long total, double loss, double[] perExit, double lr, double tokensPerSecond) {
                if (quiet && step != total) {
                    return;
                }
                StringBuilder exits = new StringBuilder();
                for (int l = 0; l < perExit.length; l++) {
                    if (!Double.isNaN(perExit[l]) && perExit[l] != 0) {
                        exits.append(String.format(Locale.ROOT, " L%d=%.3f", l + 1, perExit[l]));
                    }
                }
                int width = 24;
                int filled = (int) (width * step / total);
                out.printf(Locale.ROOT, "\r[%s%s] %d/%d loss %.4f lr %.2e %.0f tok/s%s", "#".repeat(filled),
                        ".".repeat(width - filled), step, total, loss, lr, tokensPerSecond, exits);
                out.flush();
            }

            @Override
            public void onSkippedStep(long step, double loss, double gradientNorm) {
                out.printf(Locale.ROOT, "%n[step %d skipped: loss %s, gradient norm %s not finite]%n", step, loss, gradientNorm);
                out.flush();
            }

            @Override
            public void onEval(long step, List<LayerPerplexity> layers) {
                StringBuilder sb = new StringBuilder();
                for (LayerPerplexity l : layers) {
                    sb.append(String.format(Locale.ROOT, " %d:%.2f", l.exitLayer(), l.perplexity()));
                }
                out.printf(Locale.ROOT, "%n[eval step %d] held-out perplexity per exit layer:%s%n", step, sb);
                out.flush();
            }

            @Override
            public void onCheckpoint(long step, Path directory) {
                out.printf("[checkpoint] %s%n", directory);
                out.flush();
            }
        };
    }
}
