package android.os;

// Bundle and its BaseBundle getters (https://developer.android.com/reference/android/os/Bundle, https://developer.android.com/reference/android/os/BaseBundle):
//   public int getInt(String key, int defaultValue); public boolean getBoolean(String key, boolean defaultValue);
//   public void putInt(String key, int value); public void putBoolean(String key, boolean value)
public final class Bundle {
    public int getInt(String key, int defaultValue) {
        return defaultValue;
    }

    public boolean getBoolean(String key, boolean defaultValue) {
        return defaultValue;
    }

    public void putInt(String key, int value) {}

    public void putBoolean(String key, boolean value) {}
}
