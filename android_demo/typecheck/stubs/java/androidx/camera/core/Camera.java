package androidx.camera.core;

// Camera (https://developer.android.com/reference/androidx/camera/core/Camera): what bindToLifecycle returns (the app ignores it).
public interface Camera {}
