package android.graphics;

// Paint (https://developer.android.com/reference/android/graphics/Paint): public Paint(); public void setStyle(Paint.Style style);
//   public Paint.Style getStyle(); public void setStrokeWidth(float width); public float getStrokeWidth();
//   public void setColor(int color); public int getColor(); public void setFilterBitmap(boolean filter);
//   public final boolean isFilterBitmap(); enum Paint.Style { FILL, STROKE, FILL_AND_STROKE }
public class Paint {
    public enum Style { FILL, STROKE, FILL_AND_STROKE }

    public Paint() {}

    public void setStyle(Style style) {}

    public Style getStyle() {
        throw new UnsupportedOperationException("type-check stub");
    }

    public void setStrokeWidth(float width) {}

    public float getStrokeWidth() {
        return 0f;
    }

    public void setColor(int color) {}

    public int getColor() {
        return 0;
    }

    public void setFilterBitmap(boolean filter) {}

    public final boolean isFilterBitmap() {
        return false;
    }
}
