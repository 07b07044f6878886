package dev.tfsr.core;

/**
 * The integer square around a detected face that is cropped for the network; mirrors
 * {@code tfsr.faces.square_box} exactly (the same float64 operations in the same order).
 *
 * <p>Example: {@code SquareBox sq = SquareBox.around(40, 30, 50, 60, 0.25, 480, 640);}
 */
public final class SquareBox {
    /** Left column (may be negative or beyond the image). */
    public final int x0;
    /** Top row (may be negative or beyond the image). */
    public final int y0;
    /** Side in pixels, at least 1. */
    public final int side;

    public SquareBox(int x0, int y0, int side) {
        if (side < 1) {
            throw new IllegalArgumentException("side must be >= 1, got " + side);
        }
        this.x0 = x0;
        this.y0 = y0;
        this.side = side;
    }

    /**
     * The square centred on a face box, enlarged by {@code margin}: {@code side = floor(max(w, h) * (1 +
     * margin) + 0.5)} clamped to [1, max(H, W)], {@code x0 = floor(cx - side / 2 + 0.5)}, {@code y0 =
     * floor(cy - side / 2 + 0.5)} with {@code (cx, cy)} the box centre.
     *
     * @param x left edge of the face box in pixels
     * @param y top edge of the face box
     * @param w box width, positive
     * @param h box height, positive
     * @param margin extra fraction of the box's larger side, at least 0
     * @param imageHeight rows of the image the box belongs to
     * @param imageWidth columns of that image
     */
    public static SquareBox around(double x, double y, double w, double h, double margin, int imageHeight,
            int imageWidth) {
        if (!(Double.isFinite(x) && Double.isFinite(y) && Double.isFinite(w) && Double.isFinite(h))
                || !(w > 0) || !(h > 0)) {
            throw new IllegalArgumentException("face box must be finite with positive size");
        }
        if (!Double.isFinite(margin) || margin < 0) {
            throw new IllegalArgumentException("margin must be a finite number >= 0, got " + margin);
        }
        if (imageHeight < 1 || imageWidth < 1) {
            throw new IllegalArgumentException("image size must be positive");
        }
        long rounded = (long) Math.floor(Math.max(w, h) * (1.0 + margin) + 0.5);
        int side = (int) Math.min(Math.max(rounded, 1L), Math.max(imageHeight, imageWidth));
        double cx = x + w * 0.5;
        double cy = y + h * 0.5;
        int x0 = (int) Math.floor(cx - side * 0.5 + 0.5);
        int y0 = (int) Math.floor(cy - side * 0.5 + 0.5);
        return new SquareBox(x0, y0, side);
    }

    @Override
    public String toString() {
        return "SquareBox(" + x0 + ", " + y0 + ", " + side + ")";
    }
}
