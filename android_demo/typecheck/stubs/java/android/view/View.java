package android.view;

// View (https://developer.android.com/reference/android/view/View):
//   public void setOnClickListener(View.OnClickListener l); public Display getDisplay();
//   public ViewGroup.LayoutParams getLayoutParams(); public void setLayoutParams(ViewGroup.LayoutParams params);
//   public int getPaddingLeft(); getPaddingTop(); getPaddingRight(); getPaddingBottom();
//   public void setPadding(int left, int top, int right, int bottom)
//   interface OnClickListener { void onClick(View v); }
public class View {
    public interface OnClickListener {
        void onClick(View v);
    }

    public void setOnClickListener(OnClickListener l) {}

    public Display getDisplay() {
        return null;
    }

    public ViewGroup.LayoutParams getLayoutParams() {
        throw new UnsupportedOperationException("type-check stub");
    }

    public void setLayoutParams(ViewGroup.LayoutParams params) {}

    public int getPaddingLeft() {
        return 0;
    }

    public int getPaddingTop() {
        return 0;
    }

    public int getPaddingRight() {
        return 0;
    }

    public int getPaddingBottom() {
        return 0;
    }

    public void setPadding(int left, int top, int right, int bottom) {}
}
