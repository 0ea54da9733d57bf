package dev.layerskip.bench;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/** The blank, titled, anti-aliased canvas the project's charts draw on (headless Java2D). */
final class ChartCanvas {

    private ChartCanvas() {}

    /**
     * Fills the image white, draws the title and leaves a plain black font selected.
     *
     * @param image the image to draw on
     * @param title the title line
     * @param fontSize the size of the font left selected
     * @return the graphics, to be disposed by the caller
     */
    static Graphics2D open(BufferedImage image, String title, int fontSize) {
        System.setProperty("java.awt.headless", "true");
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, image.getWidth(), image.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, 10, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, fontSize));
        return g;
    }
}
