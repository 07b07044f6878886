package dev.tfsr.demo

import android.graphics.Bitmap
import android.graphics.Matrix
import dev.tfsr.core.FloatImage
import dev.tfsr.core.Pixels
import dev.tfsr.core.PixelImage
import java.nio.ByteBuffer

/** The camera frame turned upright (and mirrored for the front camera), as the viewer sees it. */
fun Bitmap.upright(rotationDegrees: Int, mirror: Boolean): Bitmap {
    if (rotationDegrees == 0 && !mirror) return this
    val matrix = Matrix().apply {
        postRotate(rotationDegrees.toFloat())
        if (mirror) postScale(-1f, 1f)
    }
    return Bitmap.createBitmap(this, 0, 0, width, height, matrix, false)
}

/**
 * The bitmap's pixels as an RGBA [PixelImage]: an ARGB_8888 bitmap stores each pixel as the bytes
 * R, G, B, A, which is the core's RGBA layout (camera frames are opaque, so premultiplication
 * changes nothing).
 */
fun Bitmap.toPixelImage(): PixelImage {
    require(config == Bitmap.Config.ARGB_8888) { "expected an ARGB_8888 frame, got $config" }
    val bytes = ByteArray(width * height * 4)
    copyPixelsToBuffer(ByteBuffer.wrap(bytes))
    return PixelImage(bytes, height, width, 4, width * 4)
}

/** A new ARGB_8888 bitmap holding an RGBA [PixelImage] packed with rowStride = width * 4. */
fun PixelImage.toBitmap(): Bitmap {
    require(channels == 4 && rowStride == width * 4) { "expected packed RGBA pixels" }
    return Bitmap.createBitmap(width, height, Bitmap.Config.ARGB_8888).apply {
        copyPixelsFromBuffer(ByteBuffer.wrap(data))
    }
}

/** A float RGB image in [-1, 1] as an opaque bitmap, with the core's pixel rounding. */
fun FloatImage.toBitmap(): Bitmap {
    require(channels == 3) { "expected RGB, got $channels channels" }
    val colors = IntArray(height * width) { i ->
        val r = Pixels.toPixel(data[i * 3])
        val g = Pixels.toPixel(data[i * 3 + 1])
        val b = Pixels.toPixel(data[i * 3 + 2])
        (0xFF shl 24) or (r shl 16) or (g shl 8) or b
    }
    return Bitmap.createBitmap(colors, width, height, Bitmap.Config.ARGB_8888)
}
