package dev.tfsr.core;

/** Square crops that replicate the nearest edge pixel outside the image; mirrors {@code tfsr.faces.crop_square}. */
public final class Crop {
    private Crop() {}

    /**
     * The {@code side x side} square at ({@code x0}, {@code y0}): pixel (r, c) is the image's pixel
     * (clamp(y0 + r, 0, H - 1), clamp(x0 + c, 0, W - 1)).
     *
     * @return a new, tightly packed image with the source's channels
     */
    public static PixelImage square(PixelImage image, int x0, int y0, int side) {
        PixelImage out = PixelImage.allocate(side, side, image.channels);
        int k = 0;
        for (int r = 0; r < side; r++) {
            int row = clamp(y0 + r, image.height - 1);
            for (int c = 0; c < side; c++) {
                int from = image.index(row, clamp(x0 + c, image.width - 1), 0);
                for (int ch = 0; ch < image.channels; ch++) {
                    out.data[k++] = image.data[from + ch];
                }
            }
        }
        return out;
    }

    private static int clamp(int i, int max) {
        return Math.max(0, Math.min(max, i));
    }
}
