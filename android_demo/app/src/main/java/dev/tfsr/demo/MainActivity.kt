package dev.tfsr.demo

import android.Manifest
import android.content.pm.PackageManager
import android.hardware.display.DisplayManager
import android.os.Bundle
import android.util.Size
import android.view.View
import android.view.ViewGroup
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
import androidx.core.view.ViewCompat
import androidx.core.view.WindowCompat
import androidx.core.view.WindowInsetsCompat
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

private const val STATE_LENS = "lensFacing"
private const val STATE_SIDE_BY_SIDE = "sideBySide"

/**
 * The demo screen: the processed camera stream, the readout (accelerator, fps, stage latencies) and
 * two controls (paste / side by side, front / back camera).
 *
 * Rotation: the manifest keeps the activity across orientation and size changes (configChanges),
 * so the compiled GPU model survives a turn of the phone; Android 16 ignores a fixed orientation on
 * large screens anyway. The frame is turned upright from the analysis rotation, which follows the
 * display through a DisplayListener: that also catches 180-degree turns, which change no
 * configuration.
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

    private val displayListener = object : DisplayManager.DisplayListener {
        override fun onDisplayAdded(displayId: Int) {}
        override fun onDisplayRemoved(displayId: Int) {}
        override fun onDisplayChanged(displayId: Int) {
            val display = frameView.display ?: return
            if (display.displayId == displayId) analysis?.targetRotation = display.rotation
        }
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        // Drawn behind the system bars on every API level, as targetSdk 36 enforces on Android 15+,
        // so the insets below are the only thing keeping the controls clear of the bars.
        WindowCompat.setDecorFitsSystemWindows(window, false)
        setContentView(R.layout.activity_main)
        frameView = findViewById(R.id.frame)
        statsView = findViewById(R.id.stats)
        keepClearOfSystemBars(findViewById(R.id.root), statsView, findViewById(R.id.controls))

        lensFacing = savedInstanceState?.getInt(STATE_LENS, lensFacing) ?: lensFacing
        pipeline = FacePipeline(assets) { bitmap, readout ->
            runOnUiThread {
                if (!isDestroyed) {
                    // A frame that could not be converted keeps the last picture on screen.
                    if (bitmap != null) frameView.setImageBitmap(bitmap)
                    statsView.text = readout
                }
            }
        }
        val sideBySide = findViewById<SwitchCompat>(R.id.sideBySide)
        sideBySide.isChecked = savedInstanceState?.getBoolean(STATE_SIDE_BY_SIDE, false) ?: false
        pipeline.sideBySide = sideBySide.isChecked
        sideBySide.setOnCheckedChangeListener { _, checked -> pipeline.sideBySide = checked }
        findViewById<Button>(R.id.flip).setOnClickListener {
            lensFacing = if (lensFacing == CameraSelector.LENS_FACING_FRONT) {
                CameraSelector.LENS_FACING_BACK
            } else {
                CameraSelector.LENS_FACING_FRONT
            }
            startCamera()
        }
        getSystemService(DisplayManager::class.java)?.registerDisplayListener(displayListener, null)
        if (ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) {
            startCamera()
        } else {
            cameraPermission.launch(Manifest.permission.CAMERA)
        }
    }

    /**
     * Pads the readout and the bottom bar by the system bars and display cutout, on top of their
     * margins and padding from the layout, whenever the insets change (rotation moves them).
     */
    private fun keepClearOfSystemBars(root: View, readout: View, controls: View) {
        val readoutMargins = (readout.layoutParams as ViewGroup.MarginLayoutParams).let {
            intArrayOf(it.leftMargin, it.topMargin, it.rightMargin)
        }
        val controlsPadding = intArrayOf(controls.paddingLeft, controls.paddingRight, controls.paddingBottom)
        ViewCompat.setOnApplyWindowInsetsListener(root) { _, insets ->
            val bars = insets.getInsets(WindowInsetsCompat.Type.systemBars() or WindowInsetsCompat.Type.displayCutout())
            val params = readout.layoutParams as ViewGroup.MarginLayoutParams
            params.leftMargin = readoutMargins[0] + bars.left
            params.topMargin = readoutMargins[1] + bars.top
            params.rightMargin = readoutMargins[2] + bars.right
            readout.layoutParams = params
            controls.setPadding(
                controlsPadding[0] + bars.left,
                controls.paddingTop,
                controlsPadding[1] + bars.right,
                controlsPadding[2] + bars.bottom,
            )
            insets
        }
    }

    override fun onSaveInstanceState(outState: Bundle) {
        super.onSaveInstanceState(outState)
        outState.putInt(STATE_LENS, lensFacing)
        outState.putBoolean(STATE_SIDE_BY_SIDE, pipeline.sideBySide)
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
        val builder = ImageAnalysis.Builder()
            .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
            .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
            .setResolutionSelector(resolution)
        // The rotation the frames are turned upright by; the display listener keeps it current.
        frameView.display?.let { builder.setTargetRotation(it.rotation) }
        val useCase = builder.build()
        pipeline.mirror = lensFacing == CameraSelector.LENS_FACING_FRONT
        useCase.setAnalyzer(analysisExecutor, pipeline)
        val selector = CameraSelector.Builder().requireLensFacing(lensFacing).build()
        provider.unbindAll()
        provider.bindToLifecycle(this, selector, useCase)
        analysis = useCase
    }

    override fun onDestroy() {
        getSystemService(DisplayManager::class.java)?.unregisterDisplayListener(displayListener)
        analysis?.clearAnalyzer()
        // The model and detector are closed on the thread that used them.
        analysisExecutor.execute { pipeline.close() }
        analysisExecutor.shutdown()
        super.onDestroy()
    }
}
