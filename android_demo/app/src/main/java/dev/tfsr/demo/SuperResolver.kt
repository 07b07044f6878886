package dev.tfsr.demo

import android.content.res.AssetManager
import com.google.ai.edge.litert.Accelerator
import com.google.ai.edge.litert.CompiledModel
import com.google.ai.edge.litert.TensorBuffer
import dev.tfsr.core.FaceMath
import dev.tfsr.core.FloatImage

/** Asset name the model is copied to by `./gradlew :app:copyModel -PtfsrModel=...`. */
const val MODEL_ASSET = "low_to_high.tflite"

private const val OUTPUT_SIDE = 64
private const val INPUT_VALUES = FaceMath.INPUT_SIDE * FaceMath.INPUT_SIDE * 3
private const val OUTPUT_VALUES = OUTPUT_SIDE * OUTPUT_SIDE * 3

/**
 * The Low-to-High generator on LiteRT: float32 [B, 16, 16, 3] in [-1, 1] -> [B, 64, 64, 3].
 *
 * It asks for the GPU accelerator alone (a GPU+CPU option list would fall back to the CPU silently)
 * and runs one warm-up inference on it; if either fails, it loads the model on the CPU and says why
 * in [accelerator], which the app shows on screen. The batch size B is read from the model's input
 * tensor: the Kotlin API has no input resize, and the GPU wants static shapes, so a frame's faces go
 * through in calls of B faces (one call whenever there are at most B faces), zero-padded.
 *
 * Create, use and close it on one thread (the camera analysis executor): the GPU context is bound
 * to the thread that made it.
 */
class SuperResolver(assets: AssetManager, assetName: String = MODEL_ASSET) : AutoCloseable {
    /** What really runs the model, for the screen: "GPU" or "CPU (GPU failed: ...)". */
    val accelerator: String
    /** Faces per call, read from the model's input tensor. */
    val batch: Int

    private val model: CompiledModel
    private val inputs: List<TensorBuffer>
    private val outputs: List<TensorBuffer>
    private val input: FloatArray

    init {
        val (ready, label) = try {
            Loaded.warm(CompiledModel.create(assets, assetName, CompiledModel.Options(Accelerator.GPU))) to "GPU"
        } catch (e: Exception) {
            val reason = e.message ?: e.javaClass.simpleName
            Loaded.warm(CompiledModel.create(assets, assetName, CompiledModel.Options(Accelerator.CPU))) to
                "CPU (GPU failed: $reason)"
        }
        model = ready.model
        inputs = ready.inputs
        outputs = ready.outputs
        batch = ready.batch
        accelerator = label
        input = FloatArray(batch * INPUT_VALUES)
    }

    /** A compiled model with its buffers, after one successful inference. */
    private class Loaded(
        val model: CompiledModel,
        val inputs: List<TensorBuffer>,
        val outputs: List<TensorBuffer>,
        val batch: Int,
    ) {
        companion object {
            /** Check the tensor sizes and run once; closes the model and rethrows on failure. */
            fun warm(model: CompiledModel): Loaded {
                try {
                    val inputs = model.createInputBuffers()
                    val outputs = model.createOutputBuffers()
                    val inputSize = inputs.single().readFloat().size
                    val batch = inputSize / INPUT_VALUES
                    require(batch >= 1 && inputSize == batch * INPUT_VALUES) {
                        "model input holds $inputSize floats, not a multiple of 16x16x3"
                    }
                    inputs[0].writeFloat(FloatArray(inputSize))
                    model.run(inputs, outputs)
                    val outputSize = outputs.single().readFloat().size
                    require(outputSize == batch * OUTPUT_VALUES) {
                        "model output holds $outputSize floats, expected $batch x 64x64x3"
                    }
                    return Loaded(model, inputs, outputs, batch)
                } catch (e: Exception) {
                    model.close()
                    throw e
                }
            }
        }
    }

    /** Enhance 16x16x3 faces in [-1, 1]; returns their 64x64x3 outputs in the same order. */
    fun enhance(faces: List<FloatImage>): List<FloatImage> {
        val result = ArrayList<FloatImage>(faces.size)
        for (chunk in faces.chunked(batch)) {
            input.fill(0f)
            chunk.forEachIndexed { i, face -> face.data.copyInto(input, i * INPUT_VALUES) }
            inputs[0].writeFloat(input)
            model.run(inputs, outputs)
            val out = outputs[0].readFloat()
            for (i in chunk.indices) {
                val values = out.copyOfRange(i * OUTPUT_VALUES, (i + 1) * OUTPUT_VALUES)
                result += FloatImage(values, OUTPUT_SIDE, OUTPUT_SIDE, 3)
            }
        }
        return result
    }

    override fun close() {
        inputs.forEach { it.close() }
        outputs.forEach { it.close() }
        model.close()
    }
}
