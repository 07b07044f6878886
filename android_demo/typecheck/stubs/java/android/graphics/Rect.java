package android.graphics;

// Rect (https://developer.android.com/reference/android/graphics/Rect): public int left, top, right, bottom;
//   public Rect(int left, int top, int right, int bottom); public final int width(); public final int height()
public final class Rect {
    public int left;
    public int top;
    public int right;
    public int bottom;

    public Rect(int left, int top, int right, int bottom) {}

    public final int width() {
        return 0;
    }

    public final int height() {
        return 0;
    }
}
