package android.view;

// Display (https://developer.android.com/reference/android/view/Display): public int getDisplayId(); public int getRotation()
public final class Display {
    private Display() {}

    public int getDisplayId() {
        return 0;
    }

    public int getRotation() {
        return 0;
    }
}
