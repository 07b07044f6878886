package com.google.mlkit.vision.face;

import android.graphics.Rect;

// Face: public Rect getBoundingBox() (https://developers.google.com/android/reference/com/google/mlkit/vision/face/Face#getBoundingBox())
public class Face {
    private Face() {}

    public Rect getBoundingBox() {
        throw new UnsupportedOperationException("type-check stub");
    }
}
