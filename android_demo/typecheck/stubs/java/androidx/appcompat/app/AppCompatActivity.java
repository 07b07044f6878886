package androidx.appcompat.app;

import android.view.View;

// AppCompatActivity extends FragmentActivity (https://developer.android.com/reference/androidx/appcompat/app/AppCompatActivity):
//   public void setContentView(int layoutResID); public <T extends View> T findViewById(int id)
public class AppCompatActivity extends androidx.fragment.app.FragmentActivity {
    @Override
    public void setContentView(int layoutResID) {}

    @Override
    public <T extends View> T findViewById(int id) {
        throw new UnsupportedOperationException("type-check stub");
    }
}
