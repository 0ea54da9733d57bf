package dev.layerskip.bench;

import java.awt.Color;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Renders a grid of values (rows × columns) as a labelled PNG heat map, headless. */
public final class HeatMap {

    private HeatMap() {}

    /**
     * Writes the heat map.
     *
     * @param file the PNG file
     * @param title the title line
     * @param rowLabel what rows are (e.g. "exit layer E")
     * @param rows the row labels
     * @param columnLabel what columns are
     * @param columns the column labels
     * @param values values[row][column]; NaN for an empty cell
     * @throws IOException if writing fails
     */
    public static void write(Path file, String title, String rowLabel, String[] rows, String columnLabel, String[] columns,
            double[][] values) throws IOException {
        BufferedImage image = render(title, rowLabel, rows, columnLabel, columns, values);
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException(file + ": no PNG writer available");
        }
    }

    /**
     * Draws the heat map (for notebooks: IJava displays a BufferedImage).
     *
     * @param title the title line
     * @param rowLabel what rows are (e.g. "exit layer E")
     * @param rows the row labels
     * @param columnLabel what columns are
     * @param columns the column labels
     * @param values values[row][column]; NaN for an empty cell
     * @return the image
     */
    public static BufferedImage render(String title, String rowLabel, String[] rows, String columnLabel, String[] columns,
            double[][] values) {
        int cell = 72;
        int left = 110;
        int top = 70;
        int width = Math.max(left + cell * columns.length + 20, 20 + 8 * title.length());
        int height = top + cell * rows.length + 50;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double[] row : values) {
            for (double v : row) {
                if (!Double.isNaN(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = ChartCanvas.open(image, title, 12);
        g.drawString(columnLabel + " →", left, top - 28);
        g.drawString(rowLabel + " ↓", 10, top - 8);
        FontMetrics fm = g.getFontMetrics();
        for (int c = 0; c < columns.length; c++) {
            g.drawString(columns[c], left + c * cell + (cell - fm.stringWidth(columns[c])) / 2, top - 8);
        }
        for (int r = 0; r < rows.length; r++) {
            g.setColor(Color.BLACK);
            g.drawString(rows[r], left - 10 - fm.stringWidth(rows[r]), top + r * cell + cell / 2 + 5);
            for (int c = 0; c < columns.length; c++) {
                double v = values[r][c];
                double t = Double.isNaN(v) || max == min ? 0.5 : (v - min) / (max - min);
                g.setColor(Double.isNaN(v) ? Color.LIGHT_GRAY : new Color((float) (1 - t), (float) (0.35 + 0.5 * t), (float) (0.3 + 0.2 * (1 - t))));
                g.fillRect(left + c * cell, top + r * cell, cell - 2, cell - 2);
                g.setColor(Color.BLACK);
                String label = Double.isNaN(v) ? "-" : String.format("%.2f", v);
                g.drawString(label, left + c * cell + (cell - fm.stringWidth(label)) / 2, top + r * cell + cell / 2 + 5);
            }
        }
        g.drawString(String.format("min %.2f, max %.2f", min, max), left, height - 18);
        g.dispose();
        return image;
    }
}
