package android.widget;

import android.graphics.Bitmap;
import android.view.View;

// ImageView: public void setImageBitmap(Bitmap bm) (https://developer.android.com/reference/android/widget/ImageView#setImageBitmap(android.graphics.Bitmap))
public class ImageView extends View {
    public void setImageBitmap(Bitmap bm) {}
}
