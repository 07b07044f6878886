package android.content;

import android.content.res.AssetManager;

// Context: public abstract AssetManager getAssets(); public final <T> T getSystemService(Class<T> serviceClass)
// (https://developer.android.com/reference/android/content/Context). ContextWrapper and ContextThemeWrapper, between Context and
// Activity, are left out: the app calls nothing of theirs.
public abstract class Context {
    public abstract AssetManager getAssets();

    public final <T> T getSystemService(Class<T> serviceClass) {
        throw new UnsupportedOperationException("type-check stub");
    }
}
