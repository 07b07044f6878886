package androidx.lifecycle;

// Lifecycle (https://developer.android.com/reference/androidx/lifecycle/Lifecycle): only named, as what a LifecycleOwner has.
public abstract class Lifecycle {}
