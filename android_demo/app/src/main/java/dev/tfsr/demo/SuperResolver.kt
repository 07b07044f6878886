package dev.tfsr.demo

import android.content.res.AssetManager
import com.google.ai.edge.litert.Accelerator
import com.google.ai.edge.litert.CompiledModel
import com.google.ai.edge.litert.TensorBuffer
import com.google.ai.edge.litert.TensorType
import dev.tfsr.core.FaceMath
import dev.tfsr.core.FloatImage

/** Asset name the model is copied to by `./gradlew :app:copyModel -PtfsrModel=...`. */
const val MODEL_ASSET = "low_to_high.tflite"

/**
 * The signature and tensor names `export/convert.py` gives every exported model (a SavedModel
 * endpoint "serving_default" taking "lr_faces"; the converter names the single output "output_0"),
 * as LiteRT's signature list shows them for an exported file. The Kotlin API looks tensor types up
 * by these names only.
 */
private const val SIGNATURE = "serving_default"
private const val INPUT_NAME = "lr_faces"
private const val OUTPUT_NAME = "output_0"

private const val OUTPUT_SIDE = 64
private const val INPUT_VALUES = FaceMath.INPUT_SIDE * FaceMath.INPUT_SIDE * 3
private const val OUTPUT_VALUES = OUTPUT_SIDE * OUTPUT_SIDE * 3

/**
 * The Low-to-High generator on LiteRT: float32 [B, 16, 16, 3] in [-1, 1] -> [B, 64, 64, 3].
 *
 * It asks for the GPU accelerator alone (a GPU+CPU option list would fall back to the CPU silently)
 * and runs one warm-up inference on it; if either fails, it loads the model on the CPU and says why
 * in [accelerator], which the app shows on screen. The batch size B is read from the model's input
 * tensor type (its shape, not its buffer: reading a GPU buffer copies it to the CPU): the Kotlin API
 * has no input resize, and the GPU wants static shapes, so a frame's faces go through in calls of B
 * faces (one call whenever there are at most B faces), zero-padded.
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
        } catch (e: Throwable) {
            // A missing GPU library surfaces as a LinkageError, not an Exception.
            if (!e.isRecoverable()) throw e
            Loaded.warm(CompiledModel.create(assets, assetName, CompiledModel.Options(Accelerator.CPU))) to
                "CPU (GPU failed: ${e.describe()})"
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
            /** Check the tensor shapes and run once; closes the model and rethrows on failure. */
            fun warm(model: CompiledModel): Loaded {
                try {
                    val inShape = shape(model.getInputTensorType(INPUT_NAME, SIGNATURE), "input $INPUT_NAME")
                    val batch = inShape[0]
                    require(inShape.size == 4 && batch >= 1 && inShape.drop(1) == listOf(16, 16, 3)) {
                        "model input is $inShape, expected [B, 16, 16, 3] with a fixed B (tfsr export writes one)"
                    }
                    val outShape = shape(model.getOutputTensorType(OUTPUT_NAME, SIGNATURE), "output $OUTPUT_NAME")
                    require(outShape == listOf(batch, OUTPUT_SIDE, OUTPUT_SIDE, 3)) {
                        "model output is $outShape, expected [$batch, 64, 64, 3]"
                    }
                    val inputs = model.createInputBuffers()
                    val outputs = model.createOutputBuffers()
                    require(inputs.size == 1 && outputs.size == 1) {
                        "model has ${inputs.size} inputs and ${outputs.size} outputs, expected one each"
                    }
                    // One inference on zeros: compiling alone does not prove the accelerator runs it.
                    inputs[0].writeFloat(FloatArray(batch * INPUT_VALUES))
                    model.run(inputs, outputs)
                    return Loaded(model, inputs, outputs, batch)
                } catch (e: Throwable) {
                    model.close()
                    throw e
                }
            }

            /** The tensor's shape; the app writes and reads float32, so an int8-io export is refused here. */
            private fun shape(type: TensorType, what: String): List<Int> {
                require(type.elementType == TensorType.ElementType.FLOAT) {
                    "model $what holds ${type.elementType}, expected FLOAT (export without int8 input/output)"
                }
                return requireNotNull(type.layout) { "model $what has no shape" }.dimensions.toList()
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
