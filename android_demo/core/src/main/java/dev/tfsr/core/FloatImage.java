package dev.tfsr.core;

/**
 * A float picture or tensor slice: {@code height x width x channels} values, row-major, channels
 * interleaved, packed tightly (the layout of one NHWC batch element).
 */
public final class FloatImage {
    public final float[] data;
    public final int height;
    public final int width;
    public final int channels;

    public FloatImage(float[] data, int height, int width, int channels) {
        if (height < 1 || width < 1 || channels < 1 || data.length != height * width * channels) {
            throw new IllegalArgumentException("float image " + height + "x" + width + "x" + channels
                    + " does not match " + data.length + " values");
        }
        this.data = data;
        this.height = height;
        this.width = width;
        this.channels = channels;
    }

    /** A new zeroed image. */
    public static FloatImage allocate(int height, int width, int channels) {
        return new FloatImage(new float[height * width * channels], height, width, channels);
    }

    /** Index of channel {@code c} of pixel ({@code row}, {@code col}) in {@link #data}. */
    public int index(int row, int col, int c) {
        return (row * width + col) * channels + c;
    }
}
