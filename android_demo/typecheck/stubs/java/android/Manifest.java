package android;

// Manifest.permission.CAMERA: public static final String CAMERA = "android.permission.CAMERA"
// (https://developer.android.com/reference/android/Manifest.permission#CAMERA)
public final class Manifest {
    public static final class permission {
        public static final String CAMERA = "android.permission.CAMERA";
    }
}
