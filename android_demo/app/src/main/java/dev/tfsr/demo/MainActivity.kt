package dev.tfsr.demo

import android.Manifest
import android.content.pm.PackageManager
import android.os.Bundle
import android.util.Size
import android.widget.Button
import android.widget.ImageView
import android.widget.TextView
import androidx.activity.result.contract.ActivityResultContracts
import androidx.appcompat.app.AppCompatActivity
import androidx.appcompat.widget.SwitchCompat
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.core.resolutionselector.ResolutionStrategy
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.core.content.ContextCompat
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

/**
 * The demo screen: the processed camera stream, the readout (accelerator, fps, stage latencies) and
 * two controls (paste / side by side, front / back camera).
 */
class MainActivity : AppCompatActivity() {
    private lateinit var frameView: ImageView
    private lateinit var statsView: TextView
    private lateinit var pipeline: FacePipeline
    private val analysisExecutor: ExecutorService = Executors.newSingleThreadExecutor()
    private var analysis: ImageAnalysis? = null
    private var lensFacing = CameraSelector.LENS_FACING_FRONT

    private val cameraPermission =
        registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
            if (granted) startCamera() else statsView.setText(R.string.no_permission)
        }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        frameView = findViewById(R.id.frame)
        statsView = findViewById(R.id.stats)
        pipeline = FacePipeline(assets) { bitmap, readout ->
            runOnUiThread {
                if (!isDestroyed) {
                    frameView.setImageBitmap(bitmap)
                    statsView.text = readout
                }
            }
        }
        findViewById<SwitchCompat>(R.id.sideBySide).setOnCheckedChangeListener { _, checked ->
            pipeline.sideBySide = checked
        }
        findViewById<Button>(R.id.flip).setOnClickListener {
            lensFacing = if (lensFacing == CameraSelector.LENS_FACING_FRONT) {
                CameraSelector.LENS_FACING_BACK
            } else {
                CameraSelector.LENS_FACING_FRONT
            }
            startCamera()
        }
        if (ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) {
            startCamera()
        } else {
            cameraPermission.launch(Manifest.permission.CAMERA)
        }
    }

    private fun startCamera() {
        val providerFuture = ProcessCameraProvider.getInstance(this)
        providerFuture.addListener({ bind(providerFuture.get()) }, ContextCompat.getMainExecutor(this))
    }

    private fun bind(provider: ProcessCameraProvider) {
        // 640x480 keeps detection and the frame copies cheap; faces are small crops of it anyway.
        val resolution = ResolutionSelector.Builder()
            .setResolutionStrategy(
                ResolutionStrategy(Size(640, 480), ResolutionStrategy.FALLBACK_RULE_CLOSEST_HIGHER_THEN_LOWER)
            )
            .build()
        val useCase = ImageAnalysis.Builder()
            .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
            .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
            .setResolutionSelector(resolution)
            .build()
        pipeline.mirror = lensFacing == CameraSelector.LENS_FACING_FRONT
        useCase.setAnalyzer(analysisExecutor, pipeline)
        val selector = CameraSelector.Builder().requireLensFacing(lensFacing).build()
        provider.unbindAll()
        provider.bindToLifecycle(this, selector, useCase)
        analysis = useCase
    }

    override fun onDestroy() {
        analysis?.clearAnalyzer()
        // The model and detector are closed on the thread that used them.
        analysisExecutor.execute { pipeline.close() }
        analysisExecutor.shutdown()
        super.onDestroy()
    }
}
