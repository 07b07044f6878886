package dev.tfsr.core;

/**
 * The two steps around the Low-to-High generator for one face; mirrors {@code tfsr.faces.face_input} and
 * {@code tfsr.faces.paste_face}.
 *
 * <p>Example:
 * <pre>{@code
 * SquareBox sq = SquareBox.around(box.left, box.top, box.width(), box.height(), 0.25, h, w);
 * FloatImage lr = FaceMath.faceInput(frame, sq, FaceMath.INPUT_SIDE);   // 16x16x3 in [-1, 1]
 * // ... run the generator: 64x64x3 in [-1, 1] ...
 * FaceMath.pasteFace(frame, sr, sq, 0.15);
 * }</pre>
 */
public final class FaceMath {
    /** The Low-to-High generator's input side. */
    public static final int INPUT_SIDE = 16;

    private FaceMath() {}

    /** Crop the square (edge-replicated), convert to [-1, 1], area-resize to {@code size x size}. */
    public static FloatImage faceInput(PixelImage frame, SquareBox square, int size) {
        PixelImage crop = Crop.square(frame, square.x0, square.y0, square.side);
        return Resample.area(Pixels.toNetwork(crop), size, size);
    }

    /** Resize the generator's output to the square's side and blend it into {@code frame} with a feathered mask. */
    public static void pasteFace(PixelImage frame, FloatImage enhanced, SquareBox square, double feather) {
        Paste.paste(frame, Resample.toSide(enhanced, square.side), square.x0, square.y0,
                FeatherMask.of(square.side, feather));
    }
}
