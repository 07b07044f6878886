package dev.tfsr.core;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;

/** Comparisons of Java results with golden values: pixels exactly, floats within float32 rounding. */
final class Check {
    /** Tolerance for float results: float32 rounding of float64 sums that ran in another order. */
    static final float TOLERANCE = 1e-5f;

    private Check() {}

    static void sameFloats(String what, float[] expected, float[] actual) {
        assertEquals(what + ": length", expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(expected[i]) || Math.abs(expected[i] - actual[i]) > TOLERANCE) {
                throw new AssertionError(what + "[" + i + "]: expected " + expected[i] + ", got " + actual[i]);
            }
        }
    }

    static void sameImage(String what, FloatImage expected, FloatImage actual) {
        assertArrayEquals(what + ": shape", new int[] {expected.height, expected.width, expected.channels},
                new int[] {actual.height, actual.width, actual.channels});
        sameFloats(what, expected.data, actual.data);
    }

    /** Pixel-for-pixel equality, reading {@code actual} through its row stride. */
    static void sameImage(String what, PixelImage expected, PixelImage actual) {
        assertArrayEquals(what + ": shape", new int[] {expected.height, expected.width, expected.channels},
                new int[] {actual.height, actual.width, actual.channels});
        for (int r = 0; r < expected.height; r++) {
            for (int c = 0; c < expected.width; c++) {
                for (int ch = 0; ch < expected.channels; ch++) {
                    if (expected.get(r, c, ch) != actual.get(r, c, ch)) {
                        throw new AssertionError(what + " at (" + r + ", " + c + ", " + ch + "): expected "
                                + expected.get(r, c, ch) + ", got " + actual.get(r, c, ch));
                    }
                }
            }
        }
    }

    /** The same picture with each row padded by {@code pad} junk bytes, as camera buffers are. */
    static PixelImage padded(PixelImage image, int pad) {
        int packed = image.width * image.channels;
        int stride = packed + pad;
        byte[] data = new byte[image.height * stride];
        java.util.Arrays.fill(data, (byte) 0x5A);
        for (int r = 0; r < image.height; r++) {
            System.arraycopy(image.data, image.index(r, 0, 0), data, r * stride, packed);
        }
        return new PixelImage(data, image.height, image.width, image.channels, stride);
    }
}
