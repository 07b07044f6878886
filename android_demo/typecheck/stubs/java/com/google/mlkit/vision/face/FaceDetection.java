package com.google.mlkit.vision.face;

// FaceDetection: public static FaceDetector getClient(FaceDetectorOptions options)
// (https://developers.google.com/android/reference/com/google/mlkit/vision/face/FaceDetection#getClient(com.google.mlkit.vision.face.FaceDetectorOptions))
public class FaceDetection {
    private FaceDetection() {}

    public static FaceDetector getClient(FaceDetectorOptions options) {
        throw new UnsupportedOperationException("type-check stub");
    }
}
