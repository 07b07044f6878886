package androidx.camera.core.resolutionselector;

// ResolutionSelector.Builder (https://developer.android.com/reference/androidx/camera/core/resolutionselector/ResolutionSelector.Builder): public Builder();
//   public Builder setResolutionStrategy(ResolutionStrategy resolutionStrategy); public ResolutionSelector build()
public final class ResolutionSelector {
    private ResolutionSelector() {}

    public static final class Builder {
        public Builder() {}

        public Builder setResolutionStrategy(ResolutionStrategy resolutionStrategy) {
            return this;
        }

        public ResolutionSelector build() {
            throw new UnsupportedOperationException("type-check stub");
        }
    }
}
