package dev.tfsr.core;

/**
 * Conversions between 8-bit pixels and the network's float range [-1, 1]; mirrors
 * {@code tfsr.pixels.to_unit} (through {@code tfsr.faces.rgba_to_rgb_float}) and {@code tfsr.pixels.to_uint8}
 * bit for bit (float32 arithmetic).
 */
public final class Pixels {
    private Pixels() {}

    /** One channel value to the network's range: {@code x / 127.5f - 1f} in float32. */
    public static float toNetwork(int value) {
        return (float) value / 127.5f - 1f;
    }

    /** RGB(A) pixels to float RGB in [-1, 1]; alpha is dropped. */
    public static FloatImage toNetwork(PixelImage image) {
        FloatImage out = FloatImage.allocate(image.height, image.width, 3);
        int k = 0;
        for (int r = 0; r < image.height; r++) {
            for (int c = 0; c < image.width; c++) {
                int base = image.index(r, c, 0);
                for (int ch = 0; ch < 3; ch++) {
                    out.data[k++] = toNetwork(image.data[base + ch] & 0xFF);
                }
            }
        }
        return out;
    }

    /**
     * A float in [-1, 1] to a pixel: round half up of {@code (x + 1) * 127.5} in float32, i.e.
     * {@code floor((x + 1f) * 127.5f + 0.5f)}, clipped to [0, 255]; NaN gives 0.
     */
    public static int toPixel(float x) {
        float rounded = (float) Math.floor((x + 1f) * 127.5f + 0.5f);
        if (Float.isNaN(rounded)) {
            return 0;
        }
        return (int) Math.max(0f, Math.min(255f, rounded));
    }

    /** A float RGB image in [-1, 1] to packed 8-bit RGB. */
    public static PixelImage toPixels(FloatImage image) {
        PixelImage out = PixelImage.allocate(image.height, image.width, image.channels);
        for (int i = 0; i < image.data.length; i++) {
            out.data[i] = (byte) toPixel(image.data[i]);
        }
        return out;
    }
}
