package android.view;

// ViewGroup.LayoutParams and ViewGroup.MarginLayoutParams (https://developer.android.com/reference/android/view/ViewGroup.MarginLayoutParams):
//   public int leftMargin, topMargin, rightMargin, bottomMargin
public abstract class ViewGroup extends View {
    public static class LayoutParams {}

    public static class MarginLayoutParams extends LayoutParams {
        public int leftMargin;
        public int topMargin;
        public int rightMargin;
        public int bottomMargin;
    }
}
