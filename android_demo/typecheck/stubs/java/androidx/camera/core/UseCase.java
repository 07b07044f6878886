package androidx.camera.core;

// UseCase (https://developer.android.com/reference/androidx/camera/core/UseCase): the base of ImageAnalysis, passed to bindToLifecycle.
public abstract class UseCase {}
