package dev.tfsr.modeltest;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A LiteRT CompiledModel on the CPU through LiteRT's C API (libLiteRt.so), called with Java's
 * foreign-function API: the same runtime, version and call sequence the app's Kotlin CompiledModel
 * wraps (create environment, model, options, compiled model; query the signature; create managed
 * buffers from the compiled model's requirements; run), without Android.
 *
 * <p>Signatures, as declared in litert/c/litert_*.h of LiteRT 2.x and checked against the exported
 * symbols of the ai-edge-litert 2.3.0 wheel's libLiteRt.so (LiteRtCreateModelFromFile takes the
 * environment first there, as its disassembly shows):
 * <pre>
 * LiteRtStatus LiteRtCreateEnvironment(int num_options, const LiteRtEnvOption*, LiteRtEnvironment*)
 * LiteRtStatus LiteRtCreateModelFromFile(LiteRtEnvironment, const char* filename, LiteRtModel*)
 * LiteRtStatus LiteRtGetModelSignature(LiteRtModel, LiteRtParamIndex, LiteRtSignature*)
 * LiteRtStatus LiteRtGetSignatureKey(LiteRtSignature, const char**)
 * LiteRtStatus LiteRtGetSignatureInputName(LiteRtSignature, LiteRtParamIndex, const char**)
 * LiteRtStatus LiteRtGetSignatureOutputName(LiteRtSignature, LiteRtParamIndex, const char**)
 * LiteRtStatus LiteRtGetSignatureInputTensorByIndex(LiteRtSignature, LiteRtParamIndex, LiteRtTensor*)
 * LiteRtStatus LiteRtGetSignatureOutputTensorByIndex(LiteRtSignature, LiteRtParamIndex, LiteRtTensor*)
 * LiteRtStatus LiteRtGetRankedTensorType(LiteRtTensor, LiteRtRankedTensorType*)
 * LiteRtStatus LiteRtCreateOptions(LiteRtOptions*)
 * LiteRtStatus LiteRtSetOptionsHardwareAccelerators(LiteRtOptions, LiteRtHwAcceleratorSet)
 * LiteRtStatus LiteRtCreateCompiledModel(LiteRtEnvironment, LiteRtModel, LiteRtOptions, LiteRtCompiledModel*)
 * LiteRtStatus LiteRtGetCompiledModelInputBufferRequirements(LiteRtCompiledModel, LiteRtParamIndex signature,
 *                                                            LiteRtParamIndex input, LiteRtTensorBufferRequirements*)
 * (and ...OutputBufferRequirements)
 * LiteRtStatus LiteRtCreateManagedTensorBufferFromRequirements(LiteRtEnvironment, const LiteRtRankedTensorType*,
 *                                                              LiteRtTensorBufferRequirements, LiteRtTensorBuffer*)
 * LiteRtStatus LiteRtGetTensorBufferSize(LiteRtTensorBuffer, size_t*)
 * LiteRtStatus LiteRtLockTensorBuffer(LiteRtTensorBuffer, void** host_mem_addr, LiteRtTensorBufferLockMode)
 * LiteRtStatus LiteRtUnlockTensorBuffer(LiteRtTensorBuffer)
 * LiteRtStatus LiteRtRunCompiledModel(LiteRtCompiledModel, LiteRtParamIndex signature, size_t num_inputs,
 *                                     LiteRtTensorBuffer* inputs, size_t num_outputs, LiteRtTensorBuffer* outputs)
 * void LiteRtDestroy{TensorBuffer,CompiledModel,Options,Model,Environment}(handle)
 * </pre>
 * LiteRtParamIndex is size_t; kLiteRtHwAcceleratorCpu is 1; lock modes are Read 0, Write 1. A
 * LiteRtRankedTensorType is an int32 element type then a LiteRtLayout (a 7-bit rank and a strides
 * flag in one 32-bit unit, then int32 dimensions[8] and uint32 strides[8]); only the rank and
 * dimensions are read here, and the struct is otherwise passed back to LiteRT as it was filled.
 */
final class LiteRtC implements AutoCloseable {
    private static final int CPU = 1;
    private static final int LOCK_READ = 0;
    private static final int LOCK_WRITE = 1;
    /** Room for a LiteRtRankedTensorType (72 bytes in LiteRT 2.x), with margin. */
    private static final long TENSOR_TYPE_BYTES = 256;

    private final Arena arena = Arena.ofConfined();
    private final Linker linker = Linker.nativeLinker();
    private final SymbolLookup lib;
    private final List<Runnable> cleanup = new ArrayList<>();

    final String signatureKey;
    final String inputName;
    final String outputName;
    final int[] inputShape;
    final int[] outputShape;
    private final MemorySegment compiled;
    private final MemorySegment input;
    private final MemorySegment output;

    LiteRtC(Path library, Path model) throws Throwable {
        lib = SymbolLookup.libraryLookup(library, arena);
        try {
            MemorySegment env = out(fn("LiteRtCreateEnvironment", JAVA_INT, JAVA_INT, ADDRESS, ADDRESS),
                    "LiteRtCreateEnvironment", 0, MemorySegment.NULL);
            onClose("LiteRtDestroyEnvironment", env);
            MemorySegment mdl = out(fn("LiteRtCreateModelFromFile", JAVA_INT, ADDRESS, ADDRESS, ADDRESS),
                    "LiteRtCreateModelFromFile", env, arena.allocateFrom(model.toString()));
            onClose("LiteRtDestroyModel", mdl);

            MemorySegment sig = out(fn("LiteRtGetModelSignature", JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS),
                    "LiteRtGetModelSignature", mdl, 0L);
            signatureKey = string(out(fn("LiteRtGetSignatureKey", JAVA_INT, ADDRESS, ADDRESS), "LiteRtGetSignatureKey", sig));
            inputName = string(out(fn("LiteRtGetSignatureInputName", JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS),
                    "LiteRtGetSignatureInputName", sig, 0L));
            outputName = string(out(fn("LiteRtGetSignatureOutputName", JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS),
                    "LiteRtGetSignatureOutputName", sig, 0L));
            MemorySegment inType = tensorType(out(fn("LiteRtGetSignatureInputTensorByIndex", JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS),
                    "LiteRtGetSignatureInputTensorByIndex", sig, 0L));
            MemorySegment outType = tensorType(out(fn("LiteRtGetSignatureOutputTensorByIndex", JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS),
                    "LiteRtGetSignatureOutputTensorByIndex", sig, 0L));
            inputShape = dimensions(inType);
            outputShape = dimensions(outType);

            MemorySegment options = out(fn("LiteRtCreateOptions", JAVA_INT, ADDRESS), "LiteRtCreateOptions");
            onClose("LiteRtDestroyOptions", options);
            check((int) fn("LiteRtSetOptionsHardwareAccelerators", JAVA_INT, ADDRESS, JAVA_INT).invokeExact(options, CPU),
                    "LiteRtSetOptionsHardwareAccelerators");
            compiled = out(fn("LiteRtCreateCompiledModel", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS),
                    "LiteRtCreateCompiledModel", env, mdl, options);
            onClose("LiteRtDestroyCompiledModel", compiled);

            input = buffer(env, inType, out(fn("LiteRtGetCompiledModelInputBufferRequirements", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS),
                    "LiteRtGetCompiledModelInputBufferRequirements", compiled, 0L, 0L));
            output = buffer(env, outType, out(fn("LiteRtGetCompiledModelOutputBufferRequirements", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS),
                    "LiteRtGetCompiledModelOutputBufferRequirements", compiled, 0L, 0L));
        } catch (Throwable e) {
            close();
            throw e;
        }
    }

    /** Writes {@code values} to the input, runs the model, returns the whole output. */
    float[] run(float[] values, int outputCount) throws Throwable {
        copy(input, LOCK_WRITE, values, true);
        MemorySegment inputs = arena.allocate(ADDRESS);
        inputs.set(ADDRESS, 0, input);
        MemorySegment outputs = arena.allocate(ADDRESS);
        outputs.set(ADDRESS, 0, output);
        MethodHandle run = fn("LiteRtRunCompiledModel", JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG, ADDRESS);
        check((int) run.invokeExact(compiled, 0L, 1L, inputs, 1L, outputs), "LiteRtRunCompiledModel");
        float[] result = new float[outputCount];
        copy(output, LOCK_READ, result, false);
        return result;
    }

    private void copy(MemorySegment buffer, int mode, float[] values, boolean write) throws Throwable {
        long bytes = out(fn("LiteRtGetTensorBufferSize", JAVA_INT, ADDRESS, ADDRESS), "LiteRtGetTensorBufferSize", buffer)
                .address();
        if (bytes < (long) values.length * Float.BYTES) {
            throw new IllegalStateException("tensor buffer holds " + bytes + " bytes, need " + values.length * Float.BYTES);
        }
        // The address comes back through the second parameter, before the lock mode.
        MemorySegment address = arena.allocate(ADDRESS);
        check((int) fn("LiteRtLockTensorBuffer", JAVA_INT, ADDRESS, ADDRESS, JAVA_INT).invokeExact(buffer, address, mode),
                "LiteRtLockTensorBuffer");
        MemorySegment host = address.get(ADDRESS, 0).reinterpret(bytes);
        try {
            if (write) {
                MemorySegment.copy(values, 0, host, JAVA_FLOAT, 0, values.length);
            } else {
                MemorySegment.copy(host, JAVA_FLOAT, 0, values, 0, values.length);
            }
        } finally {
            check((int) fn("LiteRtUnlockTensorBuffer", JAVA_INT, ADDRESS).invokeExact(buffer), "LiteRtUnlockTensorBuffer");
        }
    }

    private MemorySegment tensorType(MemorySegment tensor) throws Throwable {
        MemorySegment type = arena.allocate(TENSOR_TYPE_BYTES, 8);
        check((int) fn("LiteRtGetRankedTensorType", JAVA_INT, ADDRESS, ADDRESS).invokeExact(tensor, type),
                "LiteRtGetRankedTensorType");
        return type;
    }

    private static int[] dimensions(MemorySegment type) {
        int rank = type.get(JAVA_INT, 4) & 0x7f;
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            dims[i] = type.get(JAVA_INT, 8 + 4L * i);
        }
        return dims;
    }

    private MemorySegment buffer(MemorySegment env, MemorySegment type, MemorySegment requirements) throws Throwable {
        MemorySegment buffer = out(fn("LiteRtCreateManagedTensorBufferFromRequirements", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS),
                "LiteRtCreateManagedTensorBufferFromRequirements", env, type, requirements);
        onClose("LiteRtDestroyTensorBuffer", buffer);
        return buffer;
    }

    /** Calls {@code handle(args..., &result)} and returns the pointer-sized result. */
    private MemorySegment out(MethodHandle handle, String name, Object... args) throws Throwable {
        MemorySegment result = arena.allocate(ADDRESS);
        Object[] all = new Object[args.length + 1];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = result;
        check((int) handle.invokeWithArguments(all), name);
        return result.get(ADDRESS, 0);
    }

    private static String string(MemorySegment chars) {
        return chars.reinterpret(Long.MAX_VALUE).getString(0);
    }

    private static void check(int status, String name) {
        if (status != 0) {
            throw new IllegalStateException(name + " returned LiteRtStatus " + status);
        }
    }

    private MethodHandle fn(String name, java.lang.foreign.MemoryLayout result, java.lang.foreign.MemoryLayout... args) {
        MemorySegment symbol = lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name + " not in libLiteRt.so"));
        return linker.downcallHandle(symbol, FunctionDescriptor.of(result, args));
    }

    private void onClose(String destroy, MemorySegment handle) {
        MethodHandle fn = linker.downcallHandle(
                lib.find(destroy).orElseThrow(() -> new UnsatisfiedLinkError(destroy + " not in libLiteRt.so")),
                FunctionDescriptor.ofVoid(ADDRESS));
        cleanup.add(() -> {
            try {
                fn.invokeExact(handle);
            } catch (Throwable e) {
                throw new IllegalStateException(destroy + " failed", e);
            }
        });
    }

    @Override
    public void close() {
        // Newest first: buffers, compiled model, options, model, environment.
        for (int i = cleanup.size() - 1; i >= 0; i--) {
            cleanup.get(i).run();
        }
        cleanup.clear();
        arena.close();
    }
}
