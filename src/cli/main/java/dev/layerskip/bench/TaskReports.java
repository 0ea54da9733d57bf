package dev.layerskip.bench;

import dev.layerskip.eval.task.StrategyResult;
import dev.layerskip.eval.task.TaskMetric;
import dev.layerskip.eval.task.TaskReport;
import dev.layerskip.generate.DecodingStrategy;

import org.knowm.xchart.AnnotationText;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** Task reports as a CSV table and as a chart of the primary metric against the speed-up (XChart). */
public final class TaskReports {

    private TaskReports() {}

    /**
     * One CSV row per model and strategy: {@code model,task,strategy,exit_layer,num_speculations},
     * the metric's columns, then {@code tokens_per_second,speedup,acceptance_rate,
     * identical_to_autoregressive,differing_outputs,examples,max_new_tokens}. The reports must share a metric.
     *
     * @param reports the reports
     * @return the CSV text
     */
    public static String csv(List<TaskReport> reports) {
        TaskMetric metric = sharedMetric(reports);
        StringBuilder b = new StringBuilder("model,task,strategy,exit_layer,num_speculations,");
        b.append(String.join(",", metric.columns()));
        b.append(",tokens_per_second,speedup,acceptance_rate,identical_to_autoregressive,differing_outputs,examples,max_new_tokens\n");
        for (TaskReport report : reports) {
            for (StrategyResult r : report.results()) {
                b.append(field(report.model())).append(',').append(field(report.task())).append(',').append(field(r.label()))
                        .append(',').append(r.exitLayer()).append(',').append(r.numSpeculations());
                for (double s : r.scores()) {
                    b.append(String.format(Locale.ROOT, ",%.6f", s));
                }
                b.append(String.format(Locale.ROOT, ",%.2f,%.4f,%.4f,%s,%d,%d,%d%n", r.tokensPerSecond(), r.speedup(),
                        r.acceptanceRate(), r.identicalToAutoregressive(), r.differingOutputs(), report.examples(),
                        report.maxNewTokens()));
            }
        }
        return b.toString();
    }

    /**
     * The chart: one scatter series per model (colour and marker), one point per strategy at (speed-up
     * over autoregressive, primary metric), labelled AR, EE E or SS E:d; both axes start at 0.
     *
     * @param reports the reports, sharing a task metric
     * @return the XChart chart (IJava displays it, or render it with {@link #image})
     */
    public static XYChart chart(List<TaskReport> reports) {
        TaskMetric metric = sharedMetric(reports);
        XYChart chart = new XYChartBuilder().width(820).height(520)
                .title(metric.primary() + " vs speed-up: " + reports.get(0).task())
                .xAxisTitle("speed-up over autoregressive (tokens/s ratio)").yAxisTitle(metric.primary()).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setMarkerSize(10);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        double top = 0;
        double right = 0;
        for (TaskReport report : reports) {
            for (StrategyResult r : report.results()) {
                top = Math.max(top, r.scores().get(metric.primaryIndex()));
                right = Math.max(right, r.speedup());
            }
        }
        top = top == 0 ? 1 : top;
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(top * 1.15);
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setXAxisMax(Math.max(1.5, right * 1.1));
        for (int m = 0; m < reports.size(); m++) {
            TaskReport report = reports.get(m);
            int n = report.results().size();
            double[] x = new double[n];
            double[] y = new double[n];
            for (int k = 0; k < n; k++) {
                StrategyResult r = report.results().get(k);
                x[k] = r.speedup();
                y[k] = r.scores().get(metric.primaryIndex());
                // labels above the points of even models and below those of odd ones; self-speculative
                // points sit on autoregressive's, so their labels go to the other side
                int side = (m % 2 == 0 ? 1 : -1) * (r.strategy() == DecodingStrategy.SELF_SPECULATIVE ? -1 : 1);
                chart.addAnnotation(new AnnotationText(shortLabel(r), x[k], y[k] + side * 0.045 * top, false));
            }
            String name = report.model();
            long same = reports.stream().filter(o -> o.model().equals(report.model())).count();
            XYSeries series = chart.addSeries(same > 1 ? name + " #" + (m + 1) : name, x, y);
            series.setMarker(m % 2 == 0 ? SeriesMarkers.CIRCLE : SeriesMarkers.DIAMOND);
        }
        return chart;
    }

    /**
     * @param reports the reports
     * @return the chart as an image
     */
    public static BufferedImage image(List<TaskReport> reports) {
        return BitmapEncoder.getBufferedImage(chart(reports));
    }

    /**
     * Writes {@code PREFIX.csv} and {@code PREFIX.png}.
     *
     * @param prefix the path prefix
     * @param reports the reports
     * @return the two files written
     * @throws IOException if a file cannot be written
     */
    public static List<Path> write(String prefix, List<TaskReport> reports) throws IOException {
        Path csv = Path.of(prefix + ".csv");
        Path png = Path.of(prefix + ".png");
        Path parent = csv.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(csv, csv(reports), StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(png)) {
            BitmapEncoder.saveBitmap(chart(reports), out, BitmapEncoder.BitmapFormat.PNG);
        }
        return List.of(csv, png);
    }

    private static String shortLabel(StrategyResult r) {
        switch (r.strategy()) {
            case AUTOREGRESSIVE:
                return "AR";
            case EARLY_EXIT:
                return "EE " + r.exitLayer();
            case SELF_SPECULATIVE:
            default:
                return "SS " + r.exitLayer() + ":" + r.numSpeculations();
        }
    }

    private static TaskMetric sharedMetric(List<TaskReport> reports) {
        if (reports.isEmpty()) {
            throw new IllegalArgumentException("no reports");
        }
        TaskMetric metric = reports.get(0).metric();
        for (TaskReport r : reports) {
            if (r.metric() != metric) {
                throw new IllegalArgumentException("reports scored with different metrics: " + metric + " and " + r.metric());
            }
        }
        return metric;
    }

    private static String field(String value) {
        return value.contains(",") || value.contains("\"") || value.contains("\n")
                ? "\"" + value.replace("\"", "\"\"") + "\"" : value;
    }
}
