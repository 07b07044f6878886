package android.view;

// Window (https://developer.android.com/reference/android/view/Window): only passed to WindowCompat.setDecorFitsSystemWindows.
public abstract class Window {}
