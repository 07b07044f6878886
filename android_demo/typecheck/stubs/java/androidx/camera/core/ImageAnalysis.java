package androidx.camera.core;

import androidx.camera.core.resolutionselector.ResolutionSelector;
import java.util.concurrent.Executor;

// ImageAnalysis (https://developer.android.com/reference/androidx/camera/core/ImageAnalysis):
//   STRATEGY_KEEP_ONLY_LATEST = 0; OUTPUT_IMAGE_FORMAT_RGBA_8888 = 2;
//   public void setAnalyzer(Executor executor, ImageAnalysis.Analyzer analyzer); public void clearAnalyzer();
//   public int getTargetRotation(); public void setTargetRotation(int rotation);
//   interface Analyzer { void analyze(ImageProxy image); }  (its other methods have defaults)
//   ImageAnalysis.Builder: public Builder(); setBackpressureStrategy(int); setOutputImageFormat(int);
//   setResolutionSelector(ResolutionSelector); setTargetRotation(int); public ImageAnalysis build()
public final class ImageAnalysis extends UseCase {
    public static final int STRATEGY_KEEP_ONLY_LATEST = 0;
    public static final int OUTPUT_IMAGE_FORMAT_RGBA_8888 = 2;

    private ImageAnalysis() {}

    public interface Analyzer {
        void analyze(ImageProxy image);
    }

    public void setAnalyzer(Executor executor, Analyzer analyzer) {}

    public void clearAnalyzer() {}

    public int getTargetRotation() {
        return 0;
    }

    public void setTargetRotation(int rotation) {}

    public static final class Builder {
        public Builder() {}

        public Builder setBackpressureStrategy(int strategy) {
            return this;
        }

        public Builder setOutputImageFormat(int outputImageFormat) {
            return this;
        }

        public Builder setResolutionSelector(ResolutionSelector resolutionSelector) {
            return this;
        }

        public Builder setTargetRotation(int rotation) {
            return this;
        }

        public ImageAnalysis build() {
            throw new UnsupportedOperationException("type-check stub");
        }
    }
}
