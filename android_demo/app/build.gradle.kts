import java.nio.file.Files
import java.nio.file.StandardCopyOption

// AGP 9 compiles Kotlin itself (built-in Kotlin), so no Kotlin plugin is applied here.
plugins {
    alias(libs.plugins.android.application)
}

android {
    namespace = "dev.tfsr.demo"
    compileSdk = 36

    defaultConfig {
        applicationId = "dev.tfsr.demo"
        minSdk = 24
        targetSdk = 36
        versionCode = 1
        versionName = "0.1.0"
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    // The model is memory-mapped from the APK; compressing it would force a copy.
    androidResources {
        noCompress += "tflite"
    }
}

dependencies {
    implementation(project(":core"))
    implementation(libs.camera.camera2)
    implementation(libs.camera.lifecycle)
    implementation(libs.litert)
    // From LiteRT 2.3 the GPU accelerator is its own artifact: without it Accelerator.GPU fails.
    implementation(libs.litert.gpu)
    implementation(libs.mlkit.face)
    implementation(libs.appcompat)
}

// ./gradlew :app:copyModel -PtfsrModel=path/to/low_to_high_fp16.tflite
// Copies a model written by `tfsr export` to the asset name the app loads (MODEL_ASSET in
// SuperResolver.kt). A relative path is taken from the directory gradlew was started in.
tasks.register("copyModel") {
    group = "tfsr"
    description = "Copies a tfsr-exported Low-to-High .tflite (-PtfsrModel=...) into the app's assets."
    val modelPath = providers.gradleProperty("tfsrModel")
    val startDir = gradle.startParameter.currentDir
    val target = layout.projectDirectory.file("src/main/assets/low_to_high.tflite").asFile
    doLast {
        val path = modelPath.orNull
            ?: throw GradleException("give the model: -PtfsrModel=path/to/low_to_high_fp16.tflite")
        val source = File(path).let { if (it.isAbsolute) it else File(startDir, path) }
        if (!source.isFile) {
            throw GradleException("model file not found: $source")
        }
        target.parentFile.mkdirs()
        Files.copy(source.toPath(), target.toPath(), StandardCopyOption.REPLACE_EXISTING)
        println("copied $source -> $target")
    }
}
