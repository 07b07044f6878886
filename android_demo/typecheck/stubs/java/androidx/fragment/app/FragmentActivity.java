package androidx.fragment.app;

// FragmentActivity extends ComponentActivity (https://developer.android.com/reference/androidx/fragment/app/FragmentActivity); nothing of its own is called.
public class FragmentActivity extends androidx.activity.ComponentActivity {}
