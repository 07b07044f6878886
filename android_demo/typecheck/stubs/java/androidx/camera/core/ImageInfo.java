package androidx.camera.core;

// ImageInfo: int getRotationDegrees() (https://developer.android.com/reference/androidx/camera/core/ImageInfo#getRotationDegrees())
public interface ImageInfo {
    int getRotationDegrees();
}
