package android.util;

// Size: public Size(int width, int height) (https://developer.android.com/reference/android/util/Size)
public final class Size {
    public Size(int width, int height) {}
}
