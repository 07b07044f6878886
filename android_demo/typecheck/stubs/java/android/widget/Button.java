package android.widget;

// Button extends TextView (https://developer.android.com/reference/android/widget/Button)
public class Button extends TextView {}
