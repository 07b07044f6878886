package androidx.core.view;

import android.view.View;

// ViewCompat: public static void setOnApplyWindowInsetsListener(View v, OnApplyWindowInsetsListener listener)
// (https://developer.android.com/reference/androidx/core/view/ViewCompat#setOnApplyWindowInsetsListener(android.view.View,androidx.core.view.OnApplyWindowInsetsListener))
public class ViewCompat {
    public static void setOnApplyWindowInsetsListener(View v, OnApplyWindowInsetsListener listener) {}
}
