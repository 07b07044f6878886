package com.google.mlkit.vision.face;

import com.google.android.gms.tasks.Task;
import com.google.mlkit.vision.common.InputImage;
import java.io.Closeable;
import java.util.List;

// FaceDetector (https://developers.google.com/android/reference/com/google/mlkit/vision/face/FaceDetector): Task<List<Face>> process(InputImage image); void close()
// (through Detector<List<Face>>, which is Closeable)
public interface FaceDetector extends Closeable {
    Task<List<Face>> process(InputImage image);

    @Override
    void close();
}
