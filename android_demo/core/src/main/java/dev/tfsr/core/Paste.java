package dev.tfsr.core;

/**
 * Alpha-blending a face square into a frame, in place; mirrors {@code tfsr.faces.paste} bit for bit
 * (which returns a copy instead). Pixels outside the square, and alpha, are never written.
 */
public final class Paste {
    private Paste() {}

    /** Paste a float face in [-1, 1]; each value becomes {@code clip((x + 1) * 127.5, 0, 255)} unrounded. */
    public static void paste(PixelImage image, FloatImage face, int x0, int y0, float[] mask) {
        float[] px = new float[face.data.length];
        for (int i = 0; i < px.length; i++) {
            px[i] = Math.min(255f, Math.max(0f, (face.data[i] + 1f) * 127.5f));
        }
        blend(image, px, face.height, face.width, face.channels, x0, y0, mask);
    }

    /** Paste an 8-bit RGB face. */
    public static void paste(PixelImage image, PixelImage face, int x0, int y0, float[] mask) {
        float[] px = new float[face.height * face.width * 3];
        int k = 0;
        for (int r = 0; r < face.height; r++) {
            for (int c = 0; c < face.width; c++) {
                for (int ch = 0; ch < 3; ch++) {
                    px[k++] = face.get(r, c, ch);
                }
            }
        }
        blend(image, px, face.height, face.width, 3, x0, y0, mask);
    }

    /**
     * {@code v = base + m * (f - base)} then {@code clip(floor(v + 0.5f), 0, 255)}, all float32, for the RGB
     * channels of each image pixel under the square.
     */
    private static void blend(PixelImage image, float[] facePx, int height, int width, int channels, int x0,
            int y0, float[] mask) {
        if (height != width || channels != 3 || mask.length != height * width) {
            throw new IllegalArgumentException("face must be SxSx3 with an SxS mask");
        }
        int side = height;
        int top = Math.max(y0, 0);
        int left = Math.max(x0, 0);
        int bottom = Math.min(y0 + side, image.height);
        int right = Math.min(x0 + side, image.width);
        for (int row = top; row < bottom; row++) {
            for (int col = left; col < right; col++) {
                int inner = (row - y0) * side + (col - x0);
                float m = mask[inner];
                int dst = image.index(row, col, 0);
                for (int ch = 0; ch < 3; ch++) {
                    float base = image.data[dst + ch] & 0xFF;
                    float v = base + m * (facePx[inner * 3 + ch] - base);
                    float rounded = (float) Math.floor(v + 0.5f);
                    image.data[dst + ch] = (byte) (int) Math.max(0f, Math.min(255f, rounded));
                }
            }
        }
    }
}
