package androidx.camera.core;

import android.graphics.Bitmap;

// ImageProxy extends AutoCloseable (https://developer.android.com/reference/androidx/camera/core/ImageProxy): void close(); ImageInfo getImageInfo();
//   default Bitmap toBitmap()  (since 1.3)
public interface ImageProxy extends AutoCloseable {
    @Override
    void close();

    ImageInfo getImageInfo();

    default Bitmap toBitmap() {
        throw new UnsupportedOperationException("type-check stub");
    }
}
