package dev.layerskip.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.XYChart;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import javax.imageio.ImageIO;

/** The XChart heat map's centred colour scale and the line chart's checks. */
class ChartsTest {

    @Test
    void heatMapScaleIsCentredOnTheReferenceWithARoundSpread() {
        // farthest from 1.0 is 0.68 (0.32 away) -> spread rounded up to 0.35 -> 0.65 .. 1.35
        HeatMapChart chart = HeatMap.chart("t", "E", new String[] {"1", "2"}, "d", new String[] {"1", "2"},
                new double[][] {{1.01, 0.68}, {Double.NaN, 1.2}}, 1.0);
        assertEquals(0.65, chart.getStyler().getMin(), 1e-12);
        assertEquals(1.35, chart.getStyler().getMax(), 1e-12);
        assertEquals(3, chart.getHeatMapSeries().getHeatData().size(), "the NaN cell is left empty");
    }

    @Test
    void heatMapWritesAPng(@TempDir Path tmp) throws Exception {
        Path png = tmp.resolve("h.png");
        HeatMap.write(png, "speed-up", "E", new String[] {"1", "2", "3"}, "d", new String[] {"1", "2"},
                new double[][] {{1.1, 0.9}, {1.0, 1.2}, {0.8, 1.05}}, 1.0);
        BufferedImage image = ImageIO.read(Files.newInputStream(png));
        assertEquals(640, image.getWidth());
    }

    @Test
    void badShapesAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HeatMap.chart("t", "E",
                new String[] {"1"}, "d", new String[] {"1", "2"}, new double[][] {{1.0}}, 1.0));
        assertEquals("heat map row 0 has 1 values for 2 columns", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> LineChart.chart("t", "x", "y", new double[] {1, 2},
                Map.of("a", new double[] {1}), Map.of(), false));
        assertEquals("series 'a' has 1 values for 2 x values", e.getMessage());
    }

    @Test
    void lineChartHasOneSeriesPerName() {
        XYChart chart = LineChart.chart("t", "x", "y", new double[] {1, 2, 3},
                Map.of("a", new double[] {1, 2, 3}), Map.of("a", new double[] {0.1, 0.1, 0.1}), true);
        assertEquals(1, chart.getSeriesMap().size());
        assertEquals(true, chart.getStyler().isYAxisLogarithmic());
    }
}
