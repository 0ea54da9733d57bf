package dev.layerskip.bench;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A grid of values (rows × columns) as an XChart heat map whose colour scale is centred on a
 * reference value: red below it, white at it, green above it, with the same distance on both sides
 * (for speed-ups the reference is 1.0, so a cell's colour says "faster" or "slower" at a glance).
 */
public final class HeatMap {

    private static final Color BELOW = new Color(0xd7301f);
    private static final Color AT = Color.WHITE;
    private static final Color ABOVE = new Color(0x1a9850);

    private HeatMap() {}

    /**
     * Builds the chart (in IJava, {@code BitmapEncoder.getBufferedImage(chart)} displays it).
     *
     * @param title the title line
     * @param rowLabel what rows are (e.g. "exit layer E"), the y axis
     * @param rows the row labels
     * @param columnLabel what columns are, the x axis
     * @param columns the column labels
     * @param values values[row][column]; NaN for an empty cell
     * @param centre the value drawn white (1.0 for speed-ups)
     * @return the chart
     * @throws IllegalArgumentException if the grid's shape does not match the labels or a value is infinite
     */
    public static HeatMapChart chart(String title, String rowLabel, String[] rows, String columnLabel, String[] columns,
            double[][] values, double centre) {
        if (rows.length == 0 || columns.length == 0 || values.length != rows.length) {
            throw new IllegalArgumentException("heat map: " + values.length + " value rows for " + rows.length
                    + " row labels and " + columns.length + " columns");
        }
        if (!Double.isFinite(centre)) {
            throw new IllegalArgumentException("heat map centre must be finite, got " + centre);
        }
        double spread = 0;
        List<Number[]> cells = new ArrayList<>();
        for (int r = 0; r < rows.length; r++) {
            if (values[r].length != columns.length) {
                throw new IllegalArgumentException("heat map row " + r + " has " + values[r].length + " values for "
                        + columns.length + " columns");
            }
            for (int c = 0; c < columns.length; c++) {
                double v = values[r][c];
                if (Double.isInfinite(v)) {
                    throw new IllegalArgumentException("heat map value [" + r + "][" + c + "] is infinite");
                }
                if (!Double.isNaN(v)) {
                    spread = Math.max(spread, Math.abs(v - centre));
                    cells.add(new Number[] {c, r, v});
                }
            }
        }
        spread = spread == 0 ? 1 : Math.ceil(spread * 20) / 20; // a round scale: centre ± a multiple of 0.05
        HeatMapChart chart = new HeatMapChartBuilder().width(Math.max(640, 110 * columns.length + 260))
                .height(Math.max(320, 60 * rows.length + 140)).title(title).xAxisTitle(columnLabel)
                .yAxisTitle(rowLabel).build();
        chart.getStyler().setRangeColors(new Color[] {BELOW, AT, ABOVE}).setMin(centre - spread)
                .setMax(centre + spread).setShowValue(true).setHeatMapValueDecimalPattern("0.00")
                .setHeatMapDecimalValueFormatter(v -> String.format(java.util.Locale.ROOT, "%.2f", v))
                .setPlotContentSize(1.0).setChartBackgroundColor(Color.WHITE).setLegendVisible(true);
        chart.addSeries("value", Arrays.asList(columns), Arrays.asList(rows), cells);
        return chart;
    }

    /**
     * Draws the chart as an image.
     *
     * @param title the title line
     * @param rowLabel what rows are
     * @param rows the row labels
     * @param columnLabel what columns are
     * @param columns the column labels
     * @param values values[row][column]; NaN for an empty cell
     * @param centre the value drawn white
     * @return the image
     */
    public static BufferedImage render(String title, String rowLabel, String[] rows, String columnLabel, String[] columns,
            double[][] values, double centre) {
        return BitmapEncoder.getBufferedImage(chart(title, rowLabel, rows, columnLabel, columns, values, centre));
    }

    /**
     * Writes the chart as a PNG file.
     *
     * @param file the PNG file
     * @param title the title line
     * @param rowLabel what rows are
     * @param rows the row labels
     * @param columnLabel what columns are
     * @param columns the column labels
     * @param values values[row][column]; NaN for an empty cell
     * @param centre the value drawn white
     * @throws IOException if writing fails
     */
    public static void write(Path file, String title, String rowLabel, String[] rows, String columnLabel, String[] columns,
            double[][] values, double centre) throws IOException {
        try (var out = java.nio.file.Files.newOutputStream(file)) {
            BitmapEncoder.saveBitmap(chart(title, rowLabel, rows, columnLabel, columns, values, centre), out,
                    BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
