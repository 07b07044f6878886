package android.content.res;

// AssetManager: public final class AssetManager implements AutoCloseable
// (https://developer.android.com/reference/android/content/res/AssetManager); the app only passes it on to LiteRT.
public final class AssetManager implements AutoCloseable {
    private AssetManager() {}

    @Override
    public void close() {}
}
