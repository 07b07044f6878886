package androidx.core.view;

import android.view.View;

// OnApplyWindowInsetsListener (https://developer.android.com/reference/androidx/core/view/OnApplyWindowInsetsListener):
//   WindowInsetsCompat onApplyWindowInsets(View v, WindowInsetsCompat insets)
public interface OnApplyWindowInsetsListener {
    WindowInsetsCompat onApplyWindowInsets(View v, WindowInsetsCompat insets);
}
