package com.google.mlkit.vision.face;

// FaceDetectorOptions (https://developers.google.com/android/reference/com/google/mlkit/vision/face/FaceDetectorOptions): PERFORMANCE_MODE_FAST = 1;
//   FaceDetectorOptions.Builder: public Builder(); setPerformanceMode(int); setMinFaceSize(float);
//   public FaceDetectorOptions build()
public class FaceDetectorOptions {
    public static final int PERFORMANCE_MODE_FAST = 1;

    private FaceDetectorOptions() {}

    public static class Builder {
        public Builder() {}

        public Builder setPerformanceMode(int performanceMode) {
            return this;
        }

        public Builder setMinFaceSize(float minFaceSize) {
            return this;
        }

        public FaceDetectorOptions build() {
            throw new UnsupportedOperationException("type-check stub");
        }
    }
}
