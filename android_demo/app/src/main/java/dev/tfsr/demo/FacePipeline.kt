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

/**
 * Extra fraction of the face box kept around it: `tfsr.faces.FACE_MARGIN`, the framing of the training
 * crops and `tfsr enhance` (tests/test_face_framing.py checks that they agree).
 */
private const val MARGIN = 0.25

/** Width of the pasted face's soft edge, as a fraction of its side. */
private const val FEATHER = 0.15

/**
 * How many times its own size an enhanced face is shown in the zoom strip: the model's factor, the
 * scale at which `tfsr enhance` is to paste faces into an upscaled picture. A face already larger
 * than a strip cell is shown at the cell's size: it is big enough in the frame itself.
 */
private const val ZOOM = 4

/** Faces per zoom strip: its cells are a quarter of the frame's width. */
private const val STRIP_CELLS = 4

/**
 * One camera frame: upright RGBA -> ML Kit faces -> square crops -> 16x16 inputs -> one batched
 * Low-to-High call -> enhanced faces pasted back with a feathered mask, or shown side by side with
 * their inputs. All arithmetic is the `core` module's, which mirrors `tfsr.faces`.
 * Below the pasted frame, a zoom strip shows the enhanced faces enlarged ([ZOOM]).
 *
 * Runs on the camera analysis executor; [onFrame] receives the picture to show (null: keep the last
 * one) and the readout. The model is loaded on the first frame, on this thread, because the GPU
 * context belongs to it.
 */
class FacePipeline(
    private val assets: AssetManager,
    private val onFrame: (Bitmap?, String) -> Unit,
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
        // Everything that can fail while the ImageProxy is open happens inside use {}, so the proxy
        // is closed on every path: an unclosed proxy stops ImageAnalysis from delivering frames.
        val (frame, start, model) = try {
            image.use {
                val model = model() // loaded (once) before the clock starts: compiling is not a frame's latency
                val start = SystemClock.elapsedRealtimeNanos()
                Triple(it.toBitmap().upright(it.imageInfo.rotationDegrees, mirror), start, model)
            }
        } catch (e: Throwable) {
            if (!e.isRecoverable()) throw e
            onFrame(null, "error: ${e.describe()}")
            return
        }
        try {
            process(frame, start, model)
        } catch (e: Throwable) {
            if (!e.isRecoverable()) throw e
            // Keep the stream alive and say what went wrong instead of killing the analysis thread.
            onFrame(frame, "error: ${e.describe()}")
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
            withZoomStrip(pixels.toBitmap(), squares, outputs)
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
            } catch (e: Throwable) {
                // A missing native library (UnsatisfiedLinkError, NoClassDefFoundError) is a
                // LinkageError, not an Exception: it is reported like a missing model.
                if (!e.isRecoverable()) throw e
                "NO MODEL ($MODEL_ASSET: ${e.describe()}); run ./gradlew :app:copyModel -PtfsrModel=..."
            }
        }
        return resolver
    }

    /**
     * The frame with a strip below it holding each enhanced face at [ZOOM] times its size in the
     * frame (at most one cell, a quarter of the frame's width), left to right in detection order;
     * faces past the fourth are left out of the strip. Without faces the frame is returned as is.
     */
    private fun withZoomStrip(frame: Bitmap, squares: List<SquareBox>, outputs: List<FloatImage>): Bitmap {
        if (outputs.isEmpty()) return frame
        val cell = frame.width / STRIP_CELLS
        val shown = Bitmap.createBitmap(frame.width, frame.height + cell, Bitmap.Config.ARGB_8888)
        val canvas = Canvas(shown)
        canvas.drawColor(Color.BLACK)
        canvas.drawBitmap(frame, 0f, 0f, null)
        val smooth = Paint().apply { isFilterBitmap = true }
        outputs.take(STRIP_CELLS).forEachIndexed { i, enhanced ->
            val side = (ZOOM * squares[i].side).coerceAtMost(cell)
            val left = i * cell + (cell - side) / 2
            val top = frame.height + (cell - side) / 2
            canvas.drawBitmap(enhanced.toBitmap(), null, Rect(left, top, left + side, top + side), smooth)
        }
        return shown
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

/**
 * What the pipeline reports and carries on from: exceptions and linkage errors (a LiteRT or ML Kit
 * native library that fails to load). VirtualMachineErrors such as OutOfMemoryError are rethrown.
 */
internal fun Throwable.isRecoverable() = this is Exception || this is LinkageError

internal fun Throwable.describe() = message ?: javaClass.simpleName
