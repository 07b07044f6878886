package androidx.camera.core;

// CameraSelector (https://developer.android.com/reference/androidx/camera/core/CameraSelector): LENS_FACING_FRONT = 0, LENS_FACING_BACK = 1;
//   CameraSelector.Builder: public Builder(); public Builder requireLensFacing(int lensFacing);
//   public CameraSelector build()
public final class CameraSelector {
    public static final int LENS_FACING_FRONT = 0;
    public static final int LENS_FACING_BACK = 1;

    private CameraSelector() {}

    public static final class Builder {
        public Builder() {}

        public Builder requireLensFacing(int lensFacing) {
            return this;
        }

        public CameraSelector build() {
            throw new UnsupportedOperationException("type-check stub");
        }
    }
}
