package android.graphics;

import java.nio.Buffer;

// Bitmap (https://developer.android.com/reference/android/graphics/Bitmap):
//   public static Bitmap createBitmap(int width, int height, Bitmap.Config config)
//   public static Bitmap createBitmap(Bitmap source, int x, int y, int width, int height, Matrix m, boolean filter)
//   public static Bitmap createBitmap(int[] colors, int width, int height, Bitmap.Config config)
//   public final int getWidth(); public final int getHeight(); public final Bitmap.Config getConfig()
//   public void copyPixelsToBuffer(Buffer dst); public void copyPixelsFromBuffer(Buffer src)
//   enum Bitmap.Config { ALPHA_8, RGB_565, ARGB_4444, ARGB_8888, RGBA_F16, HARDWARE, RGBA_1010102 }
public final class Bitmap {
    public enum Config { ALPHA_8, RGB_565, ARGB_4444, ARGB_8888, RGBA_F16, HARDWARE, RGBA_1010102 }

    private Bitmap() {}

    public static Bitmap createBitmap(int width, int height, Config config) {
        throw new UnsupportedOperationException("type-check stub");
    }

    public static Bitmap createBitmap(Bitmap source, int x, int y, int width, int height, Matrix m, boolean filter) {
        throw new UnsupportedOperationException("type-check stub");
    }

    public static Bitmap createBitmap(int[] colors, int width, int height, Config config) {
        throw new UnsupportedOperationException("type-check stub");
    }

    public final int getWidth() {
        return 0;
    }

    public final int getHeight() {
        return 0;
    }

    public final Config getConfig() {
        throw new UnsupportedOperationException("type-check stub");
    }

    public void copyPixelsToBuffer(Buffer dst) {}

    public void copyPixelsFromBuffer(Buffer src) {}
}
