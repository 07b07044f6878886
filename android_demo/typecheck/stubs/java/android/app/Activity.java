package android.app;

import android.content.Context;
import android.os.Bundle;
import android.view.View;
import android.view.Window;

// Activity (https://developer.android.com/reference/android/app/Activity):
//   protected void onCreate(Bundle savedInstanceState); protected void onSaveInstanceState(Bundle outState);
//   protected void onDestroy(); public void setContentView(int layoutResID);
//   public <T extends View> T findViewById(int id); public final void runOnUiThread(Runnable action);
//   public boolean isDestroyed(); public Window getWindow()
public class Activity extends Context {
    protected void onCreate(Bundle savedInstanceState) {}

    protected void onSaveInstanceState(Bundle outState) {}

    protected void onDestroy() {}

    public void setContentView(int layoutResID) {}

    public <T extends View> T findViewById(int id) {
        throw new UnsupportedOperationException("type-check stub");
    }

    public final void runOnUiThread(Runnable action) {}

    public boolean isDestroyed() {
        return false;
    }

    public Window getWindow() {
        throw new UnsupportedOperationException("type-check stub");
    }

    @Override
    public android.content.res.AssetManager getAssets() {
        throw new UnsupportedOperationException("type-check stub");
    }
}
