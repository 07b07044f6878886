package androidx.activity.result.contract;

// ActivityResultContracts.RequestPermission : ActivityResultContract<String, Boolean>, constructor ()
// (https://developer.android.com/reference/androidx/activity/result/contract/ActivityResultContracts.RequestPermission)
public final class ActivityResultContracts {
    public static final class RequestPermission extends ActivityResultContract<String, Boolean> {
        public RequestPermission() {}
    }
}
