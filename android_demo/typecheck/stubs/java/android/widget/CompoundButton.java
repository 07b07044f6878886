package android.widget;

// CompoundButton (https://developer.android.com/reference/android/widget/CompoundButton): public boolean isChecked();
//   public void setChecked(boolean checked);
//   public void setOnCheckedChangeListener(CompoundButton.OnCheckedChangeListener listener);
//   interface OnCheckedChangeListener { void onCheckedChanged(CompoundButton buttonView, boolean isChecked); }
public abstract class CompoundButton extends Button {
    public interface OnCheckedChangeListener {
        void onCheckedChanged(CompoundButton buttonView, boolean isChecked);
    }

    public boolean isChecked() {
        return false;
    }

    public void setChecked(boolean checked) {}

    public void setOnCheckedChangeListener(OnCheckedChangeListener listener) {}
}
