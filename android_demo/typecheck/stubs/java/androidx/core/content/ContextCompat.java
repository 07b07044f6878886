package androidx.core.content;

import android.content.Context;
import java.util.concurrent.Executor;

// ContextCompat (https://developer.android.com/reference/androidx/core/content/ContextCompat):
//   public static int checkSelfPermission(Context context, String permission);
//   public static Executor getMainExecutor(Context context)
public class ContextCompat {
    public static int checkSelfPermission(Context context, String permission) {
        return -1;
    }

    public static Executor getMainExecutor(Context context) {
        throw new UnsupportedOperationException("type-check stub");
    }
}
