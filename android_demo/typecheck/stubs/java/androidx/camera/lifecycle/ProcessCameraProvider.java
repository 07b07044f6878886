package androidx.camera.lifecycle;

import android.content.Context;
import androidx.camera.core.Camera;
import androidx.camera.core.CameraSelector;
import androidx.camera.core.UseCase;
import androidx.lifecycle.LifecycleOwner;
import com.google.common.util.concurrent.ListenableFuture;

// ProcessCameraProvider (https://developer.android.com/reference/androidx/camera/lifecycle/ProcessCameraProvider):
//   companion @JvmStatic fun getInstance(context: Context): ListenableFuture<ProcessCameraProvider>;
//   fun bindToLifecycle(lifecycleOwner: LifecycleOwner, cameraSelector: CameraSelector, vararg useCases: UseCase?): Camera;
//   fun unbindAll()
public final class ProcessCameraProvider {
    private ProcessCameraProvider() {}

    public static ListenableFuture<ProcessCameraProvider> getInstance(Context context) {
        throw new UnsupportedOperationException("type-check stub");
    }

    public Camera bindToLifecycle(LifecycleOwner lifecycleOwner, CameraSelector cameraSelector, UseCase... useCases) {
        throw new UnsupportedOperationException("type-check stub");
    }

    public void unbindAll() {}
}
