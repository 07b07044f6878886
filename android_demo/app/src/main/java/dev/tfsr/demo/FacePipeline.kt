package dev.tfsr.demo

import android.content.res.AssetManager
import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.graphics.Rect
import android.os.SystemClock
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import com.google.android.gms.tasks.Tasks
import com.google.mlkit.vision.common.InputImage
import com.google.mlkit.vision.face.FaceDetection
import com.google.mlkit.vision.face.FaceDetectorOptions
import dev.tfsr.core.FaceMath
import dev.tfsr.core.FloatImage
import dev.tfsr.core.SquareBox

/** Extra fraction of the face box kept around it, as `tfsr enhance` does. */
private const val MARGIN = 0.25

/** Width of the pasted face's soft edge, as a fraction of its side. */
private const val FEATHER = 0.15

/**
 * One camera frame: upright RGBA -> ML Kit faces -> square crops -> 16x16 inputs -> one batched
 * Low-to-High call -> enhanced faces pasted back with a feathered mask, or shown side by side with
 * their inputs. All arithmetic is the `core` module's, which mirrors `tfsr.enhance.facecrop`.
 *
 * Runs on the camera analysis executor; [onFrame] receives the picture to show and the readout.
 * The model is loaded on the first frame, on this thread, because the GPU context belongs to it.
 */
class FacePipeline(
    private val assets: AssetManager,
    private val onFrame: (Bitmap, String) -> Unit,
) : ImageAnalysis.Analyzer, AutoCloseable {
    /** Show inputs and outputs next to each other instead of pasting. */
    @Volatile var sideBySide = false

    /** Mirror frames (front camera), so the picture moves like a mirror. */
    @Volatile var mirror = false

    private val detector = FaceDetection.getClient(
        FaceDetectorOptions.Builder()
            .setPerformanceMode(FaceDetectorOptions.PERFORMANCE_MODE_FAST)
            .setMinFaceSize(0.05f)
            .build()
    )
    private val stats = FrameStats()
    private var resolver: SuperResolver? = null
    private var modelStatus: String? = null

    override fun analyze(image: ImageProxy) {
        val model = model() // loaded (once) before the clock starts, so compiling is not a frame's latency
        val start = SystemClock.elapsedRealtimeNanos()
        val frame = image.use { it.toBitmap().upright(it.imageInfo.rotationDegrees, mirror) }
        try {
            process(frame, start, model)
        } catch (e: Exception) {
            // Keep the stream alive and say what went wrong instead of killing the analysis thread.
            onFrame(frame, "error: ${e.message ?: e.javaClass.simpleName}")
        }
    }

    private fun process(frame: Bitmap, start: Long, model: SuperResolver?) {
        val converted = SystemClock.elapsedRealtimeNanos()

        val faces = Tasks.await(detector.process(InputImage.fromBitmap(frame, 0)))
        val detected = SystemClock.elapsedRealtimeNanos()

        val pixels = frame.toPixelImage()
        val squares = faces.map { face ->
            val box = face.boundingBox
            SquareBox.around(
                box.left.toDouble(), box.top.toDouble(), box.width().toDouble(), box.height().toDouble(),
                MARGIN, pixels.height, pixels.width,
            )
        }
        val inputs = squares.map { FaceMath.faceInput(pixels, it, FaceMath.INPUT_SIDE) }
        val prepared = SystemClock.elapsedRealtimeNanos()

        val outputs = if (model != null && inputs.isNotEmpty()) model.enhance(inputs) else emptyList()
        val inferred = SystemClock.elapsedRealtimeNanos()

        val shown = if (sideBySide) {
            drawSideBySide(pixels.toBitmap(), squares, inputs, outputs)
        } else {
            outputs.forEachIndexed { i, enhanced -> FaceMath.pasteFace(pixels, enhanced, squares[i], FEATHER) }
            pixels.toBitmap()
        }
        val finished = SystemClock.elapsedRealtimeNanos()

        stats.add(
            finished,
            StageTimes(
                detect = millis(detected - converted),
                preprocess = millis(converted - start) + millis(prepared - detected),
                inference = millis(inferred - prepared),
                paste = millis(finished - inferred),
            ),
        )
        onFrame(shown, stats.describe(modelStatus ?: "none", faces.size))
    }

    /** The resolver, loaded on first use; a missing or broken model is reported, not thrown. */
    private fun model(): SuperResolver? {
        if (resolver == null && modelStatus == null) {
            modelStatus = try {
                val loaded = SuperResolver(assets)
                resolver = loaded
                "${loaded.accelerator}, batch ${loaded.batch}"
            } catch (e: Exception) {
                "NO MODEL ($MODEL_ASSET: ${e.message ?: e.javaClass.simpleName}); " +
                    "run ./gradlew :app:copyModel -PtfsrModel=..."
            }
        }
        return resolver
    }

    /**
     * The frame with each face square outlined and, down the left edge, each face's 16x16 input
     * (blocky, as the network sees it) next to its 64x64 output, both drawn at the same size.
     */
    private fun drawSideBySide(
        frame: Bitmap,
        squares: List<SquareBox>,
        inputs: List<FloatImage>,
        outputs: List<FloatImage>,
    ): Bitmap {
        val canvas = Canvas(frame)
        val outline = Paint().apply {
            style = Paint.Style.STROKE
            strokeWidth = 3f
            color = Color.GREEN
        }
        val blocky = Paint().apply { isFilterBitmap = false }
        val smooth = Paint().apply { isFilterBitmap = true }
        val cell = frame.width / 4
        squares.forEachIndexed { i, sq ->
            canvas.drawRect(Rect(sq.x0, sq.y0, sq.x0 + sq.side, sq.y0 + sq.side), outline)
            val top = i * cell
            if (top + cell > frame.height) return@forEachIndexed
            canvas.drawBitmap(inputs[i].toBitmap(), null, Rect(0, top, cell, top + cell), blocky)
            outputs.getOrNull(i)?.let {
                canvas.drawBitmap(it.toBitmap(), null, Rect(cell, top, 2 * cell, top + cell), smooth)
            }
        }
        return frame
    }

    override fun close() {
        resolver?.close()
        resolver = null
        detector.close()
    }
}

private fun millis(nanos: Long) = nanos / 1e6
