package dev.layerskip.eval.task;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The metric families a task is scored with. Each scores one prediction against one reference into
 * the values named by {@link #columns()}; the {@link #primary()} column is the one charts and the
 * "share of the full model's score" use.
 */
public enum TaskMetric {
    /** Summarisation: ROUGE-1/2/L F1 ({@link RougeScores}); primary ROUGE-2, as the LayerSkip paper reports. */
    ROUGE(List.of("rouge1", "rouge2", "rougeL"), "rouge2", "summar", "cnn", "xsum", "rouge"),
    /** Semantic parsing and QA: exact match and token F1 ({@link AnswerScores}); primary exact match. */
    EXACT_MATCH(List.of("exact_match", "f1"), "exact_match", "topv2", "squad", "qa", "parse", "semantic", "exact"),
    /** Code completion: first-line and first-k-lines exact match, edit similarity ({@link CodeScores}); primary edit similarity. */
    CODE(List.of("first_line_exact", "first_lines_exact", "edit_similarity"), "edit_similarity",
            "python", "code", "humaneval", "mbpp", "completion", "signature");

    private final List<String> columns;
    private final String primary;
    private final List<String> nameHints;

    TaskMetric(List<String> columns, String primary, String... nameHints) {
        this.columns = columns;
        this.primary = primary;
        this.nameHints = List.of(nameHints);
    }

    /** @return the names of the values {@link #score} returns, in order */
    public List<String> columns() {
        return columns;
    }

    /** @return the headline column */
    public String primary() {
        return primary;
    }

    /** @return the index of {@link #primary()} in {@link #columns()} */
    public int primaryIndex() {
        return columns.indexOf(primary);
    }

    /** @return the name used on the command line: {@code rouge}, {@code exact-match}, {@code code} */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Scores one prediction.
     *
     * @param prediction the generated text
     * @param reference the reference
     * @return one value per column, each in [0, 1]
     */
    public double[] score(String prediction, String reference) {
        switch (this) {
            case ROUGE: {
                RougeScores s = RougeScores.of(prediction, reference);
                return new double[] {s.rouge1(), s.rouge2(), s.rougeL()};
            }
            case EXACT_MATCH: {
                AnswerScores s = AnswerScores.of(prediction, reference);
                return new double[] {s.exactMatch(), s.f1()};
            }
            case CODE:
            default: {
                CodeScores s = CodeScores.of(prediction, reference);
                return new double[] {s.firstLineExact(), s.firstLinesExact(), s.editSimilarity()};
            }
        }
    }

    /**
     * Parses a CLI name ({@code rouge}, {@code exact-match} or {@code exact_match}, {@code code}; any case).
     *
     * @param name the name
     * @return the metric
     * @throws IllegalArgumentException naming the accepted values
     */
    public static TaskMetric fromName(String name) {
        String key = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (TaskMetric m : values()) {
            if (m.name().equals(key)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown metric '" + name + "' (expected rouge, exact-match or code)");
    }

    /**
     * The metric a task file's name asks for: {@code rouge} for names with summar/cnn/xsum/rouge,
     * {@code exact-match} for topv2/squad/qa/parse/semantic/exact, {@code code} for
     * python/code/humaneval/mbpp/completion/signature (checked in that order).
     *
     * @param taskFile the task file
     * @return the metric
     * @throws IllegalArgumentException if the name says nothing, asking for {@code --metric}
     */
    public static TaskMetric forTaskFile(Path taskFile) {
        String name = taskFile.getFileName().toString().toLowerCase(Locale.ROOT);
        for (TaskMetric m : values()) {
            for (String hint : m.nameHints) {
                if (name.contains(hint)) {
                    return m;
                }
            }
        }
        throw new IllegalArgumentException(taskFile + ": cannot tell the metric from the file name; "
                + "choose one with --metric rouge|exact-match|code");
    }
}
