package androidx.activity.result;

// ActivityResultLauncher<I> (https://developer.android.com/reference/androidx/activity/result/ActivityResultLauncher): fun launch(input: I)
public abstract class ActivityResultLauncher<I> {
    public void launch(I input) {}
}
