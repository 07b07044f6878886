"""Which operators of a `.tflite` file LiteRT's GPU delegate would refuse, read from the flatbuffer itself.

The converter's own `Analyzer(gpu_compatibility=True)` reports "compatible" for anything, so this module
encodes the delegate's acceptance rules directly: the operator's builtin code, its version (each parser of
the delegate's model builder has a maximum), the options it checks, the count of runtime (non-constant)
and constant inputs, the shapes it can broadcast or read as constants, and the types and ranks of tensors.
The rules are those of the delegate's `model_builder.cc` (`CheckMaxSupportedOpVersion` per parser,
`IsAllAllowedTensors`, and what `Parse` refuses, such as `ParseInputsWithConstTensor`'s constant shapes) and
`tensorflow/lite/tools/versioning/gpu_compatibility.cc` (`CheckGpuDelegateCompatibility`), with quantised
operators allowed, as in the delegate's default options (`ENABLE_QUANT`), and the delegate's default
broadcasting (`GpuCompatibilityFlags::kStandard`: the parsers call `CheckGpuDelegateCompatibility` without
flags; only the offline flatbuffer overload assumes `kEnhancedBroadcast`). The table holds the operators an
image-to-image network can reasonably produce; anything else (a Flex or other custom op, control flow, an
operator outside the table) is refused.

The delegate runs a single partition by default (`max_delegated_partitions = 1`): one refused operator
splits the graph and leaves part of the network on the CPU, so the gate demands that every operator passes.

Example:
    >>> problems = gpu_problems(open("export/demo_fp16.tflite", "rb").read())  # doctest: +SKIP
    >>> problems  # doctest: +SKIP
    []
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from tfsr.errors import ModelError

# Fused activations the delegate can append to an operator (`IsActivationSupported`); SIGN_BIT is refused.
_FUSED_OK = {"NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH"}
# Types a runtime tensor may have (`IsAllAllowedTensors`): float, plus 8-bit with quantised ops enabled.
_RUNTIME_TYPES = {"FLOAT32", "FLOAT16", "INT8", "UINT8"}


@dataclass(frozen=True)
class OpView:
    """One operator as the rules see it.

    Args:
        name: builtin operator name (`CONV_2D`), or `CUSTOM:<code>` for a custom op.
        version: operator version from its operator code.
        options: the builtin options object (or None).
        inputs: `(type name, shape, is_constant)` of each present input.
        outputs: `(type name, shape)` of each output.
    """

    name: str
    version: int
    options: Any
    inputs: tuple[tuple[str, tuple[int, ...], bool], ...]
    outputs: tuple[tuple[str, tuple[int, ...]], ...]

    @property
    def runtime_inputs(self) -> int:
        return sum(1 for _, _, const in self.inputs if not const)


Rule = Callable[[OpView], "str | None"]


def _fused_activation(op: OpView) -> str | None:
    from ai_edge_litert import schema_py_generated as schema

    names = {v: k for k, v in vars(schema.ActivationFunctionType).items() if not k.startswith("_")}
    act = names.get(getattr(op.options, "fusedActivationFunction", 0), "?")
    return None if act in _FUSED_OK else f"fused activation {act} is not supported"


def _io(runtime_inputs: int, outputs: int = 1, const_inputs: int | None = None) -> Rule:
    def rule(op: OpView) -> str | None:
        if op.runtime_inputs != runtime_inputs:
            return f"expects {runtime_inputs} runtime input(s), has {op.runtime_inputs}"
        if len(op.outputs) != outputs:
            return f"expects {outputs} output(s), has {len(op.outputs)}"
        consts = len(op.inputs) - op.runtime_inputs
        if const_inputs is not None and consts != const_inputs:
            return f"expects {const_inputs} constant input(s), has {consts}"
        return None

    return rule


def _conv(op: OpView) -> str | None:
    # CheckConvoultionInputOutput: at most 2 runtime inputs, 1 output, and a filter (input 1), which it
    # requires when the filter is constant (a runtime filter is input 1 anyway); then CheckStridesAndDilation
    # and IsActivationSupported.
    if op.runtime_inputs > 2 or len(op.outputs) != 1:
        return f"expects 1-2 runtime inputs and 1 output, has {op.runtime_inputs} and {len(op.outputs)}"
    if len(op.inputs) < 2:
        return "has no filter tensor (input 1)"
    o = op.options
    if o is None or min(o.strideH, o.strideW) <= 0 or min(o.dilationHFactor, o.dilationWFactor) <= 0:
        return "strides and dilations must be positive"
    return _fused_activation(op)


def _depthwise(op: OpView) -> str | None:
    """`CheckDepthwiseConvGpuDelegateCompatibility`: the convolution checks, then the shapes it relies on.

    In its order: 4D input, filter and output; input batch == output batch; filter channels (its last
    axis) == output channels == input channels x depth_multiplier; a bias of one value per output channel;
    and a depth_multiplier other than 1 only on a 1-channel input (`UnimplementedError` otherwise).
    """
    problem = _conv(op)
    if problem:
        return problem
    (_, src, _), (_, filt, _) = op.inputs[:2]
    dst = op.outputs[0][1]
    multiplier = op.options.depthMultiplier
    if any(len(shape) != 4 for shape in (src, filt, dst)):
        problem = f"input, filter and output must be 4D, are {list(src)}, {list(filt)}, {list(dst)}"
    elif src[0] != dst[0]:
        problem = f"input batch {src[0]} != output batch {dst[0]}"
    elif filt[3] != dst[3]:
        problem = f"filter channels {filt[3]} != output channels {dst[3]}"
    elif dst[3] != src[3] * multiplier:
        problem = f"output channels {dst[3]} != input channels {src[3]} x depth_multiplier {multiplier}"
    elif len(op.inputs) > 2 and int(np.prod(op.inputs[2][1])) != dst[3]:
        problem = f"bias of {int(np.prod(op.inputs[2][1]))} values for {dst[3]} output channels"
    elif multiplier != 1 and src[3] != 1:
        problem = f"depth_multiplier {multiplier} is supported only on 1-channel input, not {src[3]} channels"
    return f"{problem} (CheckDepthwiseConvGpuDelegateCompatibility)" if problem else None


def _standard_broadcast(a: tuple[int, ...], b: tuple[int, ...]) -> str | None:
    """`CheckAddMulBroadcastCompatibility` with `GpuCompatibilityFlags::kStandard`, the delegate's default.

    Only inputs of different ranks (both above 1) are checked; of those the delegate broadcasts 3D to 4D
    with batch 1, [1, 1] to 4D with batch 1, and [B, C] to [B, H, W, C]. Anything else is refused, numpy
    compatible or not: numpy-style broadcasting (`CheckIsBroadcastable`) is `kEnhancedBroadcast`, which only
    the offline flatbuffer overload of `CheckGpuDelegateCompatibility` assumes; the delegate's parsers do not
    pass it.
    """
    if len(a) <= 1 or len(b) <= 1 or len(a) == len(b):
        return None
    longer, shorter = (a, b) if len(a) >= len(b) else (b, a)
    if len(longer) == 4 and (
        (len(shorter) == 3 and longer[0] == 1)
        or (len(shorter) == 2 and longer[0] == 1 and shorter == (1, 1))
        or (len(shorter) == 2 and longer[0] == shorter[0] and longer[3] == shorter[1])
    ):
        return None
    return (
        f"cannot broadcast {list(a)} with {list(b)} (CheckAddMulBroadcastCompatibility, standard broadcasting: "
        "3D to 4D with batch 1, [1, 1] to 4D with batch 1, or [B, C] to [B, H, W, C])"
    )


def _constant_operand(shape: tuple[int, ...]) -> str | None:
    """Why `ParseInputsWithConstTensor` cannot read this constant operand of an element-wise op, or None.

    It reads a scalar (rank 0 or one element), a linear [C] tensor (every axis but the last of size 1), an
    HW tensor (rank 2), or an HWC tensor (`SetAllDimensions` for HWC: rank 3, or rank 4 with batch 1);
    anything else fails the delegate's Parse, and with it the whole delegate.
    """
    if len(shape) == 0 or int(np.prod(shape)) == 1 or all(d == 1 for d in shape[:-1]) or len(shape) in (2, 3):
        return None
    if len(shape) == 4 and shape[0] == 1:
        return None
    return (
        f"constant operand of shape {list(shape)} is not a scalar, [C], HW, HWC or 1xHxWxC tensor "
        "(ParseInputsWithConstTensor)"
    )


def _binary(op: OpView) -> str | None:
    """ADD, SUB, DIV, MAXIMUM, MINIMUM and MUL: gpu_compatibility.cc's cases for them, then what
    ElementwiseOperationParser::Parse needs (operand counts for ADD and MUL too, the constant's shape).

    Only ADD and MUL have a broadcasting check in the source; the others have none to mirror.
    """
    if len(op.inputs) != 2:
        return f"{op.name} requires two input tensors, has {len(op.inputs)}"
    # Two runtime inputs, or one runtime and one constant: gpu_compatibility.cc's two-argument case
    # (SUB, DIV, MAXIMUM, MINIMUM) and ElementwiseOperationParser::Parse's VerifyInputsConstsOutputs
    # (ADD and MUL too); the two CheckInputsConstsOutputs alternatives, as in the source.
    if _io(2, const_inputs=0)(op) and _io(1, const_inputs=1)(op):
        consts = len(op.inputs) - op.runtime_inputs
        return (
            f"needs two runtime inputs, or one runtime and one constant, and one output; has "
            f"{op.runtime_inputs} runtime and {consts} constant input(s), {len(op.outputs)} output(s) "
            "(CheckInputsConstsOutputs)"
        )
    (_, a, const_a), (_, b, const_b) = op.inputs
    if op.name == "MUL" and len(a) == len(b):
        # A matrix-vector style product, where each input is smaller in some axis, is refused.
        if any(x < y for x, y in zip(a, b)) and any(y < x for x, y in zip(a, b)):
            return f"MUL needs one input at least as large as the other in every axis: {list(a)}, {list(b)}"
    elif op.name in ("ADD", "MUL"):
        problem = _standard_broadcast(a, b)
        if problem:
            return problem
    constant = a if const_a else b if const_b else None
    if constant is not None:
        problem = _constant_operand(constant)
        if problem:
            return problem
    return _fused_activation(op) if op.options is not None else None


def _resize_bilinear(op: OpView) -> str | None:
    problem = _io(1)(op)
    if problem:
        return problem
    if op.options is not None and op.options.alignCorners and op.options.halfPixelCenters:
        return "align_corners and half_pixel_centers cannot both be true"
    return None


def _block_size(op: OpView) -> str | None:
    problem = _io(1)(op)
    if problem:
        return problem
    size = getattr(op.options, "blockSize", 0)
    return None if size > 1 else f"block_size must be > 1, got {size}"


def _dequantize(op: OpView) -> str | None:
    if len(op.inputs) != 1 or len(op.outputs) != 1:
        return "expects 1 input and 1 output"
    return "int16 dequantisation is not supported" if op.inputs[0][0] == "INT16" else None


def _pool(op: OpView) -> str | None:
    problem = _io(1)(op)
    if problem:
        return problem
    o = op.options
    if o is None or min(o.filterHeight, o.filterWidth, o.strideH, o.strideW) <= 0:
        return "kernel and strides must be positive"
    return _fused_activation(op)


def _softmax(op: OpView) -> str | None:
    return None if op.options is not None and op.options.beta == 1 else "softmax beta must be 1"


def _concatenation(op: OpView) -> str | None:
    return _fused_activation(op) if op.options is not None else "missing options"


def _ok(op: OpView) -> str | None:
    return None


# Element-wise operators of one runtime input (the delegate's ElementwiseOperationParser, version <= 2).
_ONE_ARGUMENT = ("TANH", "LOGISTIC", "ABS", "NEG", "EXP", "LOG", "SQRT", "RSQRT", "SQUARE", "SIN", "COS", "ELU", "FLOOR")

# builtin operator -> (highest version the delegate's parser accepts, or None when it checks none; rule)
GPU_RULES: dict[str, tuple[int | None, Rule]] = {
    "ADD": (2, _binary),
    "SUB": (2, _binary),
    "DIV": (2, _binary),
    "MAXIMUM": (2, _binary),
    "MINIMUM": (2, _binary),
    "MUL": (3, _binary),
    **{name: (2, _io(1, const_inputs=0)) for name in _ONE_ARGUMENT},
    "RELU": (2, _ok),
    "RELU6": (2, _ok),
    "LEAKY_RELU": (2, _ok),
    "CONV_2D": (6, _conv),
    "DEPTHWISE_CONV_2D": (6, _depthwise),
    # DepthToSpaceOperationParser checks no version; SpaceToDepthOperationParser caps it at 2.
    "DEPTH_TO_SPACE": (None, _block_size),
    "SPACE_TO_DEPTH": (2, _block_size),
    "RESIZE_BILINEAR": (3, _resize_bilinear),
    "RESIZE_NEAREST_NEIGHBOR": (3, _io(1)),
    "AVERAGE_POOL_2D": (2, _pool),
    "MAX_POOL_2D": (2, _pool),
    "CONCATENATION": (2, _concatenation),
    "RESHAPE": (1, _io(1)),
    "SOFTMAX": (2, _softmax),
    "QUANTIZE": (2, _io(1)),
    "DEQUANTIZE": (3, _dequantize),
}


def _load(tflite: bytes | bytearray) -> Any:
    from ai_edge_litert import schema_py_generated as schema

    if len(tflite) < 8 or bytes(tflite[4:8]) != b"TFL3":
        raise ModelError("not a TFLite flatbuffer (no TFL3 identifier)")
    try:
        return schema.ModelT.InitFromPackedBuf(bytearray(tflite), 0)
    except Exception as err:  # noqa: BLE001 - any decoding failure means a damaged file
        raise ModelError(f"cannot parse the TFLite flatbuffer ({type(err).__name__}: {err})") from None


def _has_data(buffer: Any) -> bool:
    return buffer is not None and ((buffer.data is not None and len(buffer.data) > 0) or (buffer.size or 0) > 0)


def _names(enum: type) -> dict[int, str]:
    return {v: k for k, v in vars(enum).items() if not k.startswith("_")}


def operators(tflite: bytes | bytearray) -> list[OpView]:
    """Every operator of every subgraph of a `.tflite` file, as the rules see it.

    Raises:
        ModelError: the bytes are not a readable TFLite flatbuffer.
    """
    return _operators(_load(tflite))


def _operators(model: Any) -> list[OpView]:
    from ai_edge_litert import schema_py_generated as schema

    op_names, type_names = _names(schema.BuiltinOperator), _names(schema.TensorType)
    views = []
    for subgraph in model.subgraphs or []:
        tensors = subgraph.tensors or []
        constants = {i for i, t in enumerate(tensors) if _has_data(model.buffers[t.buffer] if t.buffer else None)}
        # The delegate folds DEQUANTIZE of a float16 constant (how fp16 weights are stored) into a float
        # constant (its FP16GraphPartitionHelper), so such an output feeds the next op as a constant.
        for op in subgraph.operators or []:
            code = model.operatorCodes[op.opcodeIndex]
            ins = [int(i) for i in (op.inputs if op.inputs is not None else [])]
            if (
                max(int(code.builtinCode), int(code.deprecatedBuiltinCode)) == schema.BuiltinOperator.DEQUANTIZE
                and len(ins) == 1
                and ins[0] in constants
                and tensors[ins[0]].type == schema.TensorType.FLOAT16
            ):
                constants.update(int(o) for o in op.outputs)

        def is_constant(index: int) -> bool:
            return index in constants

        def shape(index: int) -> tuple[int, ...]:
            raw = tensors[index].shape
            return tuple(int(d) for d in (raw if raw is not None else ()))

        for op in subgraph.operators or []:
            code = model.operatorCodes[op.opcodeIndex]
            builtin = max(int(code.builtinCode), int(code.deprecatedBuiltinCode))
            name = op_names.get(builtin, f"BUILTIN_{builtin}")
            if name == "CUSTOM":
                custom = code.customCode.decode() if isinstance(code.customCode, bytes) else str(code.customCode)
                name = f"CUSTOM:{custom}"
            inputs = tuple(
                (type_names[tensors[i].type], shape(i), is_constant(i))
                for i in np.asarray(op.inputs if op.inputs is not None else [], dtype=np.int64)
                if i >= 0  # -1 marks an omitted optional input
            )
            outputs = tuple(
                (type_names[tensors[i].type], shape(i))
                for i in np.asarray(op.outputs if op.outputs is not None else [], dtype=np.int64)
            )
            views.append(OpView(name, int(code.version), op.builtinOptions, inputs, outputs))
    return views


def op_counts(tflite: bytes | bytearray) -> dict[str, int]:
    """`{operator name: count}` over the whole file, most frequent first."""
    return dict(Counter(op.name for op in operators(tflite)).most_common())


def _problem(op: OpView) -> str | None:
    if op.name.startswith("CUSTOM:Flex"):
        return "a Flex (TensorFlow) op: the GPU delegate runs builtin ops only"
    if op.name not in GPU_RULES:
        return "not in the table of operators the GPU delegate accepts (GPU_RULES)"
    max_version, rule = GPU_RULES[op.name]
    if max_version is not None and op.version > max_version:
        return f"version {op.version} is above the delegate's maximum {max_version} (CheckMaxSupportedOpVersion)"
    # IsAllAllowedTensors: no tensor of rank 5 or more, constant or not; a type check for runtime ones only.
    tensors = [(f"{'constant' if const else 'runtime'} input", t, s, const) for t, s, const in op.inputs]
    tensors += [("runtime output", t, s, False) for t, s in op.outputs]
    for role, dtype, shape, const in tensors:
        if len(shape) >= 5:
            return f"{role} of rank {len(shape)} (IsAllAllowedTensors: every tensor of rank 4 at most)"
        if not const and dtype not in _RUNTIME_TYPES:
            return f"{role} of type {dtype} (the delegate takes float32, float16, int8, uint8)"
    return rule(op)


def gpu_problems(tflite: bytes | bytearray) -> list[str]:
    """Why the GPU delegate would not run all of this file: one line per distinct problem, empty when none.

    Raises:
        ModelError: the bytes are not a readable TFLite flatbuffer.
    """
    model = _load(tflite)
    problems: Counter[str] = Counter()
    if len(model.subgraphs or []) != 1:
        problems[f"{len(model.subgraphs or [])} subgraphs (the delegate runs one graph)"] += 1
    for op in _operators(model):
        reason = _problem(op)
        if reason:
            problems[f"{op.name} v{op.version}: {reason}"] += 1
    return [f"{line} (x{n})" if n > 1 else line for line, n in problems.items()]
