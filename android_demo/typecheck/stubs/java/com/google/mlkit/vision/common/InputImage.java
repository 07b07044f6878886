package com.google.mlkit.vision.common;

import android.graphics.Bitmap;

// InputImage: public static InputImage fromBitmap(Bitmap bitmap, int rotationDegrees)
// (https://developers.google.com/android/reference/com/google/mlkit/vision/common/InputImage#fromBitmap(android.graphics.Bitmap,%20int))
public class InputImage {
    private InputImage() {}

    public static InputImage fromBitmap(Bitmap bitmap, int rotationDegrees) {
        throw new UnsupportedOperationException("type-check stub");
    }
}
