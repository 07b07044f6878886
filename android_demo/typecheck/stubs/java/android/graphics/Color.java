package android.graphics;

// Color: public static final int BLACK = 0xFF000000; public static final int GREEN = 0xFF00FF00
// (https://developer.android.com/reference/android/graphics/Color#BLACK, #GREEN)
public class Color {
    public static final int BLACK = 0xFF000000;
    public static final int GREEN = 0xFF00FF00;
}
