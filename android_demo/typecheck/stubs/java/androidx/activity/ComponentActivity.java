package androidx.activity;

import androidx.activity.result.ActivityResultCallback;
import androidx.activity.result.ActivityResultLauncher;
import androidx.activity.result.contract.ActivityResultContract;
import androidx.lifecycle.Lifecycle;
import androidx.lifecycle.LifecycleOwner;

// ComponentActivity (https://developer.android.com/reference/androidx/activity/ComponentActivity): a LifecycleOwner;
//   fun <I, O> registerForActivityResult(contract: ActivityResultContract<I, O>,
//       callback: ActivityResultCallback<O>): ActivityResultLauncher<I>
// (androidx.core.app.ComponentActivity, between it and Activity, is left out.)
public class ComponentActivity extends android.app.Activity implements LifecycleOwner {
    @Override
    public Lifecycle getLifecycle() {
        throw new UnsupportedOperationException("type-check stub");
    }

    public final <I, O> ActivityResultLauncher<I> registerForActivityResult(
            ActivityResultContract<I, O> contract, ActivityResultCallback<O> callback) {
        throw new UnsupportedOperationException("type-check stub");
    }
}
