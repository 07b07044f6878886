package android.hardware.display;

import android.os.Handler;

// DisplayManager (https://developer.android.com/reference/android/hardware/display/DisplayManager):
//   public void registerDisplayListener(DisplayManager.DisplayListener listener, Handler handler);
//   public void unregisterDisplayListener(DisplayManager.DisplayListener listener);
//   interface DisplayListener { void onDisplayAdded(int displayId); void onDisplayRemoved(int displayId);
//                               void onDisplayChanged(int displayId); }
public final class DisplayManager {
    public interface DisplayListener {
        void onDisplayAdded(int displayId);

        void onDisplayRemoved(int displayId);

        void onDisplayChanged(int displayId);
    }

    private DisplayManager() {}

    public void registerDisplayListener(DisplayListener listener, Handler handler) {}

    public void unregisterDisplayListener(DisplayListener listener) {}
}
