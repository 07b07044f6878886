package android.os;

// Handler (https://developer.android.com/reference/android/os/Handler): only named, as the (nullable) handler of registerDisplayListener.
public class Handler {}
