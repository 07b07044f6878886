package androidx.activity.result.contract;

// ActivityResultContract<I, O> (https://developer.android.com/reference/androidx/activity/result/contract/ActivityResultContract)
public abstract class ActivityResultContract<I, O> {}
