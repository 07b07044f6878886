package android.graphics;

// Matrix (https://developer.android.com/reference/android/graphics/Matrix): public Matrix(); public boolean postRotate(float degrees);
//   public boolean postScale(float sx, float sy)
public class Matrix {
    public Matrix() {}

    public boolean postRotate(float degrees) {
        return true;
    }

    public boolean postScale(float sx, float sy) {
        return true;
    }
}
