package androidx.core.graphics;

// Insets (https://developer.android.com/reference/androidx/core/graphics/Insets): public final int left, top, right, bottom
public final class Insets {
    public final int left = 0;
    public final int top = 0;
    public final int right = 0;
    public final int bottom = 0;

    private Insets() {}
}
