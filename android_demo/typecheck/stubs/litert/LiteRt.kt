// Signature stubs of the LiteRT Kotlin API the app calls (com.google.ai.edge.litert, artifact
// com.google.ai.edge.litert:litert). Signatures only, no behaviour: bodies throw.
// Documented at https://ai.google.dev/edge/litert/next/android_kotlin (CompiledModel.create,
// createInputBuffers, createOutputBuffers, run, TensorBuffer.writeFloat/readFloat); the parameter
// lists and defaults follow LiteRT's Kotlin sources, litert/kotlin/src/main/kotlin/com/google/ai/
// edge/litert/{Common,CompiledModel/Model,TensorBuffer}.kt in the google-ai-edge/LiteRT repository
// (a recent commit, not the 2.3.0 tag: see README.md, "Versions").
@file:Suppress("UNUSED_PARAMETER", "unused")

package com.google.ai.edge.litert

import android.content.res.AssetManager

private fun stub(): Nothing = throw UnsupportedOperationException("type-check stub")

/** Common.kt: `enum class Accelerator private constructor(val value: Int) { NONE, CPU, GPU, NPU }`. */
enum class Accelerator(val value: Int) { NONE(0), CPU(1), GPU(2), NPU(3) }

/** Common.kt: `abstract class JniHandle internal constructor(...) : AutoCloseable`, `final close()`. */
abstract class JniHandle internal constructor() : AutoCloseable {
    final override fun close(): Unit = stub()
}

/** Environment.kt: `class Environment` (only named as an optional argument of create). */
class Environment private constructor() : JniHandle()

/** Model.kt: `data class TensorType(val elementType: ElementType, val layout: Layout? = null)`. */
data class TensorType(val elementType: ElementType, val layout: Layout? = null) {
    enum class ElementType { INT, FLOAT, INT8, BOOLEAN, INT64 }

    /** `data class Layout(val dimensions: List<Int>, val strides: List<Int> = listOf())`. */
    data class Layout(val dimensions: List<Int>, val strides: List<Int> = listOf())
}

/** TensorBuffer.kt: `fun writeFloat(data: FloatArray)`, `fun readFloat(): FloatArray`. */
class TensorBuffer internal constructor() : JniHandle() {
    fun writeFloat(data: FloatArray): Unit = stub()
    fun readFloat(): FloatArray = stub()
}

class CompiledModel private constructor() : JniHandle() {
    /** `class Options constructor(vararg accelerators: Accelerator)`. */
    class Options(vararg accelerators: Accelerator)

    /** `fun createInputBuffers(signatureIndex: Int = 0): List<TensorBuffer>`. */
    fun createInputBuffers(signatureIndex: Int = 0): List<TensorBuffer> = stub()

    /** `fun createOutputBuffers(signatureIndex: Int = 0): List<TensorBuffer>`. */
    fun createOutputBuffers(signatureIndex: Int = 0): List<TensorBuffer> = stub()

    /** `fun run(inputs: List<TensorBuffer>, outputs: List<TensorBuffer>, signatureIndex: Int = 0)`. */
    fun run(inputs: List<TensorBuffer>, outputs: List<TensorBuffer>, signatureIndex: Int = 0): Unit = stub()

    /** `fun getInputTensorType(inputName: String, signature: String = ""): TensorType`. */
    fun getInputTensorType(inputName: String, signature: String = ""): TensorType = stub()

    /** `fun getOutputTensorType(outputName: String, signature: String = ""): TensorType`. */
    fun getOutputTensorType(outputName: String, signature: String = ""): TensorType = stub()

    companion object {
        /** `fun create(assetManager: AssetManager, assetName: String, options: Options = Options.CPU, optionalEnv: Environment? = null): CompiledModel`. */
        @JvmStatic
        fun create(
            assetManager: AssetManager,
            assetName: String,
            options: Options = Options(Accelerator.CPU),
            optionalEnv: Environment? = null,
        ): CompiledModel = stub()
    }
}
