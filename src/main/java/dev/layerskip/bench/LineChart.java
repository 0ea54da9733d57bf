package dev.layerskip.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A small line chart drawn with Java2D, for notebooks (IJava displays a {@link BufferedImage}) and
 * reports: several named series over shared x values, optionally on a log-scaled y axis.
 */
public final class LineChart {

    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd)
    };

    private LineChart() {}

    /**
     * Draws the chart.
     *
     * @param title the title
     * @param xLabel the x axis label
     * @param yLabel the y axis label
     * @param x the x values, increasing
     * @param series name to y values (same length as x; NaN leaves a gap)
     * @param logY whether the y axis is logarithmic (values must be &gt; 0)
     * @return the image
     */
    public static BufferedImage render(String title, String xLabel, String yLabel, double[] x,
            Map<String, double[]> series, boolean logY) {
        if (x.length < 2) {
            throw new IllegalArgumentException("a line chart needs at least 2 x values, got " + x.length);
        }
        Map<String, double[]> ys = new LinkedHashMap<>(series);
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, double[]> e : ys.entrySet()) {
            if (e.getValue().length != x.length) {
                throw new IllegalArgumentException("series '" + e.getKey() + "' has " + e.getValue().length
                        + " values for " + x.length + " x values");
            }
            for (double v : e.getValue()) {
                if (!Double.isNaN(v)) {
                    if (logY && !(v > 0)) {
                        throw new IllegalArgumentException("series '" + e.getKey() + "' has " + v + " on a log axis");
                    }
                    double t = logY ? Math.log10(v) : v;
                    min = Math.min(min, t);
                    max = Math.max(max, t);
                }
            }
        }
        if (min == max) {
            min -= 1;
            max += 1;
        }
        int width = 640;
        int height = 400;
        int left = 70;
        int right = 170;
        int top = 40;
        int bottom = 50;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = ChartCanvas.open(image, title, 11);
        FontMetrics fm = g.getFontMetrics();
        int plotW = width - left - right;
        int plotH = height - top - bottom;
        g.drawRect(left, top, plotW, plotH);
        double x0 = x[0];
        double x1 = x[x.length - 1];
        for (double v : x) {
            int px = left + (int) Math.round((v - x0) / (x1 - x0) * plotW);
            g.drawLine(px, top + plotH, px, top + plotH + 4);
            String label = v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.2g", v);
            g.drawString(label, px - fm.stringWidth(label) / 2, top + plotH + 16);
        }
        for (int i = 0; i <= 4; i++) {
            double t = min + (max - min) * i / 4;
            int py = top + plotH - (int) Math.round((t - min) / (max - min) * plotH);
            g.drawLine(left - 4, py, left, py);
            String label = String.format(Locale.ROOT, "%.3g", logY ? Math.pow(10, t) : t);
            g.drawString(label, left - 6 - fm.stringWidth(label), py + 4);
        }
        g.drawString(xLabel, left + plotW / 2 - fm.stringWidth(xLabel) / 2, height - 12);
        g.drawString(yLabel + (logY ? " (log)" : ""), 10, top - 8);
        int s = 0;
        for (Map.Entry<String, double[]> e : ys.entrySet()) {
            Color color = COLORS[s % COLORS.length];
            g.setColor(color);
            g.setStroke(new BasicStroke(2f));
            int prevX = -1;
            int prevY = -1;
            for (int i = 0; i < x.length; i++) {
                double v = e.getValue()[i];
                if (Double.isNaN(v)) {
                    prevX = -1;
                    continue;
                }
                double t = logY ? Math.log10(v) : v;
                int px = left + (int) Math.round((x[i] - x0) / (x1 - x0) * plotW);
                int py = top + plotH - (int) Math.round((t - min) / (max - min) * plotH);
                g.fillOval(px - 3, py - 3, 7, 7);
                if (prevX >= 0) {
                    g.drawLine(prevX, prevY, px, py);
                }
                prevX = px;
                prevY = py;
            }
            g.fillRect(left + plotW + 14, top + 10 + 18 * s, 12, 12);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), left + plotW + 32, top + 21 + 18 * s);
            s++;
        }
        g.dispose();
        return image;
    }
}
