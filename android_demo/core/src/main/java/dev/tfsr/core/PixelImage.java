package dev.tfsr.core;

/**
 * An 8-bit picture: {@code height x width x channels} bytes (RGB or RGBA), rows {@code rowStride} bytes
 * apart, so that a camera buffer with padded rows can be read without copying.
 *
 * <p>Example: {@code PixelImage frame = new PixelImage(bytes, 480, 640, 4, plane.getRowStride());}
 */
public final class PixelImage {
    public final byte[] data;
    public final int height;
    public final int width;
    public final int channels;
    public final int rowStride;

    /**
     * @param data the pixels, row-major, channels interleaved
     * @param height rows, at least 1
     * @param width columns, at least 1
     * @param channels 3 (RGB) or 4 (RGBA)
     * @param rowStride bytes from one row to the next, at least {@code width * channels}
     */
    public PixelImage(byte[] data, int height, int width, int channels, int rowStride) {
        if (height < 1 || width < 1 || (channels != 3 && channels != 4) || rowStride < width * channels) {
            throw new IllegalArgumentException("bad image geometry " + height + "x" + width + "x" + channels
                    + " stride " + rowStride);
        }
        if (data.length < (long) (height - 1) * rowStride + (long) width * channels) {
            throw new IllegalArgumentException("image buffer of " + data.length + " bytes is too small");
        }
        this.data = data;
        this.height = height;
        this.width = width;
        this.channels = channels;
        this.rowStride = rowStride;
    }

    /** A new zeroed image with rows packed tightly ({@code rowStride = width * channels}). */
    public static PixelImage allocate(int height, int width, int channels) {
        return new PixelImage(new byte[height * width * channels], height, width, channels, width * channels);
    }

    /** Byte offset of channel {@code c} of pixel ({@code row}, {@code col}). */
    public int index(int row, int col, int c) {
        return row * rowStride + col * channels + c;
    }

    /** The value of channel {@code c} of pixel ({@code row}, {@code col}), 0..255. */
    public int get(int row, int col, int c) {
        return data[index(row, col, c)] & 0xFF;
    }
}
