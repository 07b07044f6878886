package androidx.appcompat.widget;

// SwitchCompat extends CompoundButton (https://developer.android.com/reference/androidx/appcompat/widget/SwitchCompat)
public class SwitchCompat extends android.widget.CompoundButton {}
