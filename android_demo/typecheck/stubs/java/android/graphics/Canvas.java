package android.graphics;

// Canvas (https://developer.android.com/reference/android/graphics/Canvas):
//   public Canvas(Bitmap bitmap); public void drawColor(int color);
//   public void drawBitmap(Bitmap bitmap, float left, float top, Paint paint);
//   public void drawBitmap(Bitmap bitmap, Rect src, Rect dst, Paint paint);
//   public void drawRect(Rect r, Paint paint)
public class Canvas {
    public Canvas(Bitmap bitmap) {}

    public void drawColor(int color) {}

    public void drawBitmap(Bitmap bitmap, float left, float top, Paint paint) {}

    public void drawBitmap(Bitmap bitmap, Rect src, Rect dst, Paint paint) {}

    public void drawRect(Rect r, Paint paint) {}
}
