package androidx.core.view;

import android.view.Window;

// WindowCompat: public static void setDecorFitsSystemWindows(Window window, boolean decorFitsSystemWindows)
// (https://developer.android.com/reference/androidx/core/view/WindowCompat#setDecorFitsSystemWindows(android.view.Window,boolean))
public final class WindowCompat {
    public static void setDecorFitsSystemWindows(Window window, boolean decorFitsSystemWindows) {}
}
