package dev.tfsr.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import org.junit.Test;

/** Properties the golden vectors do not pin down: camera row padding, alpha, argument checks. */
public class CoreBehaviourTest {
    @Test
    public void everyPixelValueSurvivesTheRoundTripToTheNetworkRange() {
        for (int v = 0; v < 256; v++) {
            assertEquals(v, Pixels.toPixel(Pixels.toNetwork(v)));
        }
    }

    @Test
    public void pasteWritesNeitherAlphaNorRowPadding() {
        PixelImage frame = Check.padded(PixelImage.allocate(6, 5, 4), 7);
        FloatImage white = new FloatImage(new float[4 * 4 * 3], 4, 4, 3);
        java.util.Arrays.fill(white.data, 1f);
        float[] ones = new float[16];
        java.util.Arrays.fill(ones, 1f);
        Paste.paste(frame, white, 2, 3, ones);
        for (int r = 0; r < frame.height; r++) {
            for (int c = 0; c < frame.width; c++) {
                boolean inside = r >= 3 && c >= 2;
                assertEquals(inside ? 255 : 0, frame.get(r, c, 0));
                assertEquals(0, frame.get(r, c, 3));
            }
            for (int b = frame.width * 4; b < frame.rowStride; b++) {
                assertEquals(0x5A, frame.data[r * frame.rowStride + b]);
            }
        }
    }

    @Test
    public void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> SquareBox.around(0, 0, 0, 5, 0.2, 10, 10));
        assertThrows(IllegalArgumentException.class, () -> SquareBox.around(0, 0, 5, 5, -0.1, 10, 10));
        assertThrows(IllegalArgumentException.class, () -> FeatherMask.of(8, 0.6));
        assertThrows(IllegalArgumentException.class, () -> new PixelImage(new byte[10], 2, 2, 4, 8));
        assertThrows(IllegalArgumentException.class,
                () -> Resample.toSide(FloatImage.allocate(4, 5, 3), 8));
    }
}
