package androidx.core.view;

import androidx.core.graphics.Insets;

// WindowInsetsCompat (https://developer.android.com/reference/androidx/core/view/WindowInsetsCompat): public Insets getInsets(int typeMask);
//   WindowInsetsCompat.Type: public static int systemBars(); public static int displayCutout()
public class WindowInsetsCompat {
    public static final class Type {
        public static int systemBars() {
            return 0;
        }

        public static int displayCutout() {
            return 0;
        }
    }

    public Insets getInsets(int typeMask) {
        throw new UnsupportedOperationException("type-check stub");
    }
}
