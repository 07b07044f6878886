package dev.tfsr.demo

import java.util.Locale

/** Per-stage latency of one frame, in milliseconds. */
data class StageTimes(val detect: Double, val preprocess: Double, val inference: Double, val paste: Double)

/**
 * Smoothed frame rate and stage latencies for the on-screen readout (exponential moving averages, so
 * the numbers are readable while they still follow changes within about a second).
 */
class FrameStats(private val smoothing: Double = 0.1) {
    private var lastFrameNanos = 0L
    private var fps = 0.0
    private var times: StageTimes? = null

    /** Record one processed frame that finished at [nowNanos]. */
    fun add(nowNanos: Long, frame: StageTimes) {
        if (lastFrameNanos != 0L) {
            val instant = 1e9 / (nowNanos - lastFrameNanos).coerceAtLeast(1)
            fps = if (fps == 0.0) instant else fps + smoothing * (instant - fps)
        }
        lastFrameNanos = nowNanos
        val old = times
        times = if (old == null) frame else StageTimes(
            ease(old.detect, frame.detect),
            ease(old.preprocess, frame.preprocess),
            ease(old.inference, frame.inference),
            ease(old.paste, frame.paste),
        )
    }

    private fun ease(old: Double, new: Double) = old + smoothing * (new - old)

    /** The readout: accelerator, model batch, faces, fps and the four stages. */
    fun describe(accelerator: String, faces: Int): String {
        val t = times ?: return "accelerator: $accelerator"
        return String.format(
            Locale.US,
            "accelerator: %s\nfaces: %d   fps: %.1f\ndetect %5.1f ms   preprocess %5.1f ms\ninference %5.1f ms   paste %5.1f ms",
            accelerator, faces, fps, t.detect, t.preprocess, t.inference, t.paste,
        )
    }
}
