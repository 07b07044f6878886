package androidx.lifecycle;

// LifecycleOwner (https://developer.android.com/reference/androidx/lifecycle/LifecycleOwner): val lifecycle: Lifecycle
public interface LifecycleOwner {
    Lifecycle getLifecycle();
}
