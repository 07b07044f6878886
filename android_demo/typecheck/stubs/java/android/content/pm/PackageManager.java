package android.content.pm;

// PackageManager.PERMISSION_GRANTED: public static final int PERMISSION_GRANTED = 0
// (https://developer.android.com/reference/android/content/pm/PackageManager#PERMISSION_GRANTED)
public abstract class PackageManager {
    public static final int PERMISSION_GRANTED = 0;
}
