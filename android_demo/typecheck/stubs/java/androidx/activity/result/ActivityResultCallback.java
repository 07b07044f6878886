package androidx.activity.result;

// ActivityResultCallback<O> (https://developer.android.com/reference/androidx/activity/result/ActivityResultCallback): fun onActivityResult(result: O)
public interface ActivityResultCallback<O> {
    void onActivityResult(O result);
}
