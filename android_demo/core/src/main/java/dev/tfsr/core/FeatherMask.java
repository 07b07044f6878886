package dev.tfsr.core;

/** The blending mask of a pasted face; mirrors {@code tfsr.faces.feather_mask}. */
public final class FeatherMask {
    private FeatherMask() {}

    /**
     * A {@code side x side} mask (row-major): {@code p[r] * p[c]} with, for pixel i, {@code d = min(i, side
     * - 1 - i)}, {@code ramp = feather * side} and {@code p = 0.5 - 0.5 * cos(pi * min(d / ramp, 1))}
     * ({@code p = 1} when {@code ramp == 0}); computed in float64, stored as float32.
     *
     * @param side mask side, at least 1
     * @param feather ramp width as a fraction of {@code side}, in [0, 0.5]
     */
    public static float[] of(int side, double feather) {
        if (side < 1) {
            throw new IllegalArgumentException("side must be >= 1, got " + side);
        }
        if (!(feather >= 0.0 && feather <= 0.5)) {
            throw new IllegalArgumentException("feather must be in [0, 0.5], got " + feather);
        }
        double ramp = feather * side;
        double[] profile = new double[side];
        for (int i = 0; i < side; i++) {
            double dist = Math.min(i, side - 1 - i);
            profile[i] = ramp > 0 ? 0.5 - 0.5 * Math.cos(Math.PI * Math.min(dist / ramp, 1.0)) : 1.0;
        }
        float[] mask = new float[side * side];
        for (int r = 0; r < side; r++) {
            for (int c = 0; c < side; c++) {
                mask[r * side + c] = (float) (profile[r] * profile[c]);
            }
        }
        return mask;
    }
}
