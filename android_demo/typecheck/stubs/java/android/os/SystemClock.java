package android.os;

// SystemClock: public static long elapsedRealtimeNanos() (https://developer.android.com/reference/android/os/SystemClock#elapsedRealtimeNanos())
public final class SystemClock {
    private SystemClock() {}

    public static long elapsedRealtimeNanos() {
        return 0L;
    }
}
