package android.widget;

import android.view.View;

// TextView (https://developer.android.com/reference/android/widget/TextView): public final void setText(int resid);
//   public final void setText(CharSequence text); public CharSequence getText()
public class TextView extends View {
    public final void setText(int resid) {}

    public final void setText(CharSequence text) {}

    public CharSequence getText() {
        throw new UnsupportedOperationException("type-check stub");
    }
}
