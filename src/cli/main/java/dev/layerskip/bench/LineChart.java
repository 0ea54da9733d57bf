package dev.layerskip.bench;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.Map;

/**
 * An XChart line chart of several named series over shared x values, optionally on a log-scaled y
 * axis, with optional error bars (e.g. the spread of repeated timings).
 */
public final class LineChart {

    private LineChart() {}

    /**
     * Builds the chart (in IJava, {@code BitmapEncoder.getBufferedImage(chart)} displays it).
     *
     * @param title the title
     * @param xLabel the x axis label
     * @param yLabel the y axis label
     * @param x the x values, increasing
     * @param series name to y values (same length as x)
     * @param errors name to error-bar half heights (same length as x), or an empty map
     * @param logY whether the y axis is logarithmic (values must be &gt; 0)
     * @return the chart
     * @throws IllegalArgumentException if a series' length differs from x's or a log-scale value is not positive
     */
    public static XYChart chart(String title, String xLabel, String yLabel, double[] x, Map<String, double[]> series,
            Map<String, double[]> errors, boolean logY) {
        if (x.length < 2) {
            throw new IllegalArgumentException("a line chart needs at least 2 x values, got " + x.length);
        }
        XYChart chart = new XYChartBuilder().width(640).height(400).title(title).xAxisTitle(xLabel)
                .yAxisTitle(yLabel).build();
        chart.getStyler().setYAxisLogarithmic(logY).setXAxisDecimalPattern("0");
        chart.getStyler().setPlotGridVerticalLinesVisible(false);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            double[] y = e.getValue();
            if (y.length != x.length) {
                throw new IllegalArgumentException("series '" + e.getKey() + "' has " + y.length + " values for "
                        + x.length + " x values");
            }
            for (double v : y) {
                if (logY && !(v > 0)) {
                    throw new IllegalArgumentException("series '" + e.getKey() + "': log scale needs values > 0, got " + v);
                }
            }
            double[] err = errors.get(e.getKey());
            XYSeries s = err == null ? chart.addSeries(e.getKey(), x, y) : chart.addSeries(e.getKey(), x, y, err);
            s.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        }
        return chart;
    }

    /**
     * Draws the chart as an image.
     *
     * @param title the title
     * @param xLabel the x axis label
     * @param yLabel the y axis label
     * @param x the x values, increasing
     * @param series name to y values (same length as x)
     * @param logY whether the y axis is logarithmic
     * @return the image
     */
    public static BufferedImage render(String title, String xLabel, String yLabel, double[] x,
            Map<String, double[]> series, boolean logY) {
        return BitmapEncoder.getBufferedImage(chart(title, xLabel, yLabel, x, series, Map.of(), logY));
    }
}
