"""The GPU-delegate operator gate: real converted files pass, Flex/unsupported ops and bad options fail.

Each rule taken from the delegate's `gpu_compatibility.cc` / `model_builder.cc` is shown on a real converted
file that breaks it. Where the converter cannot produce the breaking pattern (it folds constant-only
arithmetic, writes SPACE_TO_DEPTH at version 1 or 2 only, and writes convolution options and versions the
delegate accepts), the test converts a real file and edits that one field of its flatbuffer.
"""

from __future__ import annotations

import tempfile
from typing import Any, Callable

import flatbuffers
import numpy as np
import pytest
import tensorflow as tf
from ai_edge_litert import schema_py_generated as schema

from conftest import tiny_low_to_high

from tfsr.errors import ModelError
from tfsr.export.convert import FORMATS, convert_saved_model, write_saved_model
from tfsr.export.gpu_ops import GPU_RULES, OpView, _problem, gpu_problems, op_counts, operators
from tfsr.models import LowToHighGenerator


def _convert_function(fn, select_tf_ops: bool = False, shape: tuple[int, ...] = (1, 16, 16, 3)) -> bytes:
    """Converts a one-input tf.function on a float32 tensor of `shape` through a SavedModel."""
    module = tf.Module()
    module.f = tf.function(fn, input_signature=[tf.TensorSpec(shape, tf.float32)])
    with tempfile.TemporaryDirectory() as d:
        tf.saved_model.save(module, d, signatures={"serving_default": module.f})
        converter = tf.lite.TFLiteConverter.from_saved_model(d)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS] + (
            [tf.lite.OpsSet.SELECT_TF_OPS] if select_tf_ops else []
        )
        return converter.convert()


def _constant(*shape: int) -> tf.Tensor:
    return tf.constant(np.random.default_rng(0).uniform(0.5, 1.5, shape).astype(np.float32))


def _patched(tflite: bytes, name: str, edit: Callable[[Any, Any], None]) -> bytes:
    """`tflite` repacked after `edit(operator, operator_code)` on its first `name` operator."""
    model = schema.ModelT.InitFromPackedBuf(bytearray(tflite), 0)
    code = getattr(schema.BuiltinOperator, name)

    def builtin(op: Any) -> int:
        opcode = model.operatorCodes[op.opcodeIndex]
        return max(int(opcode.builtinCode), int(opcode.deprecatedBuiltinCode))

    op = next(o for o in model.subgraphs[0].operators if builtin(o) == code)
    edit(op, model.operatorCodes[op.opcodeIndex])
    builder = flatbuffers.Builder(len(tflite) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _problems_of(tflite: bytes, name: str) -> list[str]:
    """The gate's problems for operator `name` (each line starts with the operator and its version)."""
    return [p for p in gpu_problems(tflite) if p.startswith(f"{name} v")]


def _tiny_generator() -> LowToHighGenerator:
    return tiny_low_to_high(group_filters=(16, 8, 8), align_corners=True)


def _faces(n: int) -> np.ndarray:
    return np.random.default_rng(0).uniform(-1, 1, (n, 16, 16, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def tiny_files() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as d:
        saved = write_saved_model(_tiny_generator(), 1, d)
        return {fmt: convert_saved_model(saved, fmt, _faces(4)) for fmt in FORMATS}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_of_the_generator_passes(tiny_files, fmt):
    tflite = tiny_files[fmt]
    assert gpu_problems(tflite) == []
    counts = op_counts(tflite)
    assert counts["CONV_2D"] == 10 and counts["RESIZE_BILINEAR"] == 2 and counts["TANH"] == 1
    assert all(not name.startswith("CUSTOM") for name in counts)


def test_the_batch_8_generator_passes():
    # The export gates its batch-8 files too, where the delegate's standard broadcasting has a batch to trip on.
    with tempfile.TemporaryDirectory() as d:
        saved = write_saved_model(_tiny_generator(), 8, d)
        files = [
            convert_saved_model(saved, "fp32", batch_size=8),
            convert_saved_model(saved, "int8", _faces(8), batch_size=8, float_ops=("ADD", "MUL")),
        ]
    for tflite in files:
        assert gpu_problems(tflite) == []
        assert {op.inputs[0][1][0] for op in operators(tflite) if op.name in ("ADD", "MUL")} == {8}


def test_formats_produce_their_expected_operators(tiny_files):
    fp16 = operators(tiny_files["fp16"])
    # fp16 weights reach the convolutions through DEQUANTIZE of float16 constants, which the delegate folds.
    assert any(op.name == "DEQUANTIZE" and op.inputs[0][0] == "FLOAT16" for op in fp16)
    int8 = operators(tiny_files["int8"])
    conv = next(op for op in int8 if op.name == "CONV_2D")
    assert conv.inputs[0][0] == "INT8" and conv.version == 3
    # Dynamic range keeps float activations and stores the larger kernels as int8 (hybrid convolutions).
    hybrid = [op for op in operators(tiny_files["dynamic"]) if op.name == "CONV_2D" and op.inputs[1][0] == "INT8"]
    assert hybrid and all(op.inputs[0][0] == "FLOAT32" for op in hybrid)
    resize = next(op for op in operators(tiny_files["fp32"]) if op.name == "RESIZE_BILINEAR")
    assert resize.options.alignCorners and not resize.options.halfPixelCenters


def test_a_flex_op_fails_the_gate():
    tflite = _convert_function(lambda x: tf.math.cumprod(x, axis=1) + x, select_tf_ops=True)
    problems = gpu_problems(tflite)
    assert any("Flex" in p for p in problems), problems


def test_a_builtin_op_the_delegate_lacks_fails_the_gate():
    tflite = _convert_function(lambda x: tf.cast(tf.argmax(x, axis=-1), tf.float32))
    assert any(p.startswith("ARG_MAX") for p in gpu_problems(tflite))


def test_depth_to_space_and_pixel_ops_pass():
    tflite = _convert_function(lambda x: tf.nn.depth_to_space(tf.concat([x, -x, x, x], axis=-1) * 2.0 + 1.0, 2))
    assert "DEPTH_TO_SPACE" in op_counts(tflite)
    assert gpu_problems(tflite) == []
    # DepthToSpaceOperationParser checks no version (unlike SPACE_TO_DEPTH's cap of 2).
    assert gpu_problems(_patched(tflite, "DEPTH_TO_SPACE", lambda op, code: setattr(code, "version", 3))) == []


@pytest.mark.parametrize(
    "name, fn",
    [
        ("SUB", lambda x, c: x - c),
        ("DIV", lambda x, c: c / x),  # x / c converts to MUL by 1 / c
        ("MAXIMUM", lambda x, c: tf.maximum(x, c)),
        ("MINIMUM", lambda x, c: tf.minimum(x, c)),
    ],
)
def test_two_argument_ops_take_one_constant_at_most(name, fn):
    c = _constant(3)
    tflite = _convert_function(lambda x: fn(x, c))
    view = next(op for op in operators(tflite) if op.name == name)
    (at,) = [i for i, (_, _, const) in enumerate(view.inputs) if const]
    assert gpu_problems(tflite) == []  # one runtime and one constant input: accepted
    # The converter folds constant-only arithmetic, so point the runtime operand at the constant as well.
    constant_only = _patched(tflite, name, lambda op, code: setattr(op, "inputs", [op.inputs[at]] * 2))
    (problem,) = _problems_of(constant_only, name)
    assert "two runtime inputs, or one runtime and one constant" in problem, problem
    assert "0 runtime and 2 constant" in problem and "CheckInputsConstsOutputs" in problem, problem


@pytest.mark.parametrize("name, fn", [("ADD", lambda x, c: x + c), ("MUL", lambda x, c: x * c)])
def test_add_and_mul_broadcast_only_as_the_delegate_does_by_default(name, fn):
    c = _constant(16, 16, 3)
    assert gpu_problems(_convert_function(lambda x: fn(x, c))) == []  # 3D onto 4D with batch 1
    tflite = _convert_function(lambda x: fn(x, c), shape=(8, 16, 16, 3))
    view = next(op for op in operators(tflite) if op.name == name)
    assert sorted(len(shape) for _, shape, _ in view.inputs) == [3, 4]
    (problem,) = _problems_of(tflite, name)
    assert "cannot broadcast [8, 16, 16, 3] with [16, 16, 3]" in problem, problem
    assert "CheckAddMulBroadcastCompatibility, standard broadcasting" in problem, problem


def test_depthwise_multiplier_needs_a_one_channel_input():
    w = _constant(3, 3, 1, 2)
    one_channel = _convert_function(lambda x: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"), shape=(1, 16, 16, 1))
    assert gpu_problems(one_channel) == []
    w = _constant(3, 3, 3, 2)
    tflite = _convert_function(lambda x: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME"))
    view = next(op for op in operators(tflite) if op.name == "DEPTHWISE_CONV_2D")
    assert view.options.depthMultiplier == 2
    (problem,) = _problems_of(tflite, "DEPTHWISE_CONV_2D")
    assert "depth_multiplier 2 is supported only on 1-channel input, not 3 channels" in problem, problem
    assert "CheckDepthwiseConvGpuDelegateCompatibility" in problem, problem


@pytest.fixture(scope="module")
def depthwise_file() -> bytes:
    w = _constant(3, 3, 3, 1)
    return _convert_function(lambda x: tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME", dilations=[2, 2]))


def _set_options(**fields: int) -> Callable[[Any, Any], None]:
    """An edit for `_patched` that sets fields of the operator's builtin options."""

    def edit(op: Any, code: Any) -> None:
        for key, value in fields.items():
            setattr(op.builtinOptions, key, value)

    return edit


@pytest.mark.parametrize(
    "edit, fragment",
    [
        (_set_options(dilationHFactor=0), "dilations must be positive"),
        (_set_options(strideW=0), "strides and dilations must be positive"),
        (_set_options(fusedActivationFunction=schema.ActivationFunctionType.SIGN_BIT), "SIGN_BIT"),
        (_set_options(depthMultiplier=2), "output channels 3 != input channels 3 x depth_multiplier 2"),
        (lambda op, code: setattr(code, "version", 7), "version 7 is above the delegate's maximum 6"),
    ],
)
def test_depthwise_options_the_delegate_checks(depthwise_file, edit, fragment):
    assert gpu_problems(depthwise_file) == []  # dilation 2, as the converter writes it, is fine
    (problem,) = _problems_of(_patched(depthwise_file, "DEPTHWISE_CONV_2D", edit), "DEPTHWISE_CONV_2D")
    assert fragment in problem, problem


def test_space_to_depth_version_is_capped_at_2():
    tflite = _convert_function(lambda x: tf.nn.space_to_depth(x, 2))
    assert [op.version for op in operators(tflite) if op.name == "SPACE_TO_DEPTH"] == [1]
    assert gpu_problems(tflite) == []
    # The converter writes version 1 (float) or 2 (int8); a newer writer's version 3 exceeds the parser's cap.
    (problem,) = _problems_of(_patched(tflite, "SPACE_TO_DEPTH", lambda op, code: setattr(code, "version", 3)),
                              "SPACE_TO_DEPTH")
    assert problem == "SPACE_TO_DEPTH v3: version 3 is above the delegate's maximum 2 (CheckMaxSupportedOpVersion)"


def test_a_rank_5_constant_fails_the_gate():
    c = _constant(1, 1, 1, 1, 3)
    tflite = _convert_function(lambda x: tf.reshape(x * c, (1, 16, 16, 3)))
    mul = next(op for op in operators(tflite) if op.name == "MUL")
    assert [(len(shape), const) for _, shape, const in mul.inputs] == [(4, False), (5, True)]
    (problem,) = _problems_of(tflite, "MUL")
    assert "constant input of rank 5 (IsAllAllowedTensors" in problem, problem


@pytest.mark.parametrize("name, fn", [("SUB", lambda x, c: x - c), ("ADD", lambda x, c: x + c)])
def test_constant_operands_must_be_scalar_linear_hw_or_hwc(name, fn):
    linear, batched = _constant(1, 1, 1, 3), _constant(2, 1, 1, 3)
    assert gpu_problems(_convert_function(lambda x: fn(x, linear), shape=(2, 16, 16, 3))) == []
    tflite = _convert_function(lambda x: fn(x, batched), shape=(2, 16, 16, 3))
    (problem,) = _problems_of(tflite, name)
    assert "constant operand of shape [2, 1, 1, 3] is not a scalar, [C], HW, HWC or 1xHxWxC" in problem, problem
    assert "ParseInputsWithConstTensor" in problem, problem


class _Options:
    def __init__(self, **fields):
        self.__dict__.update(fields)


def _view(name, version=1, options=None, inputs=(("FLOAT32", (1, 16, 16, 8), False),), outputs=None):
    return OpView(name, version, options, tuple(inputs), tuple(outputs or (("FLOAT32", (1, 32, 32, 8)),)))


@pytest.mark.parametrize(
    "view, fragment",
    [
        (_view("RESIZE_BILINEAR", options=_Options(alignCorners=True, halfPixelCenters=True)), "half_pixel"),
        (_view("RESIZE_BILINEAR", version=4, options=_Options(alignCorners=False, halfPixelCenters=True)), "version 4"),
        (_view("DEPTH_TO_SPACE", options=_Options(blockSize=1)), "block_size"),
        (_view("ADD", version=3, options=_Options(fusedActivationFunction=0),
               inputs=[("FLOAT32", (1, 4, 4, 8), False)] * 2), "version 3"),
        (_view("CONV_2D", options=_Options(strideH=1, strideW=1, dilationHFactor=1, dilationWFactor=1,
                                           fusedActivationFunction=5),
               inputs=[("FLOAT32", (1, 4, 4, 8), False), ("FLOAT32", (8, 3, 3, 8), True)]), "SIGN_BIT"),
        (_view("TANH", inputs=[("INT32", (1, 4, 4, 8), False)]), "INT32"),
        (_view("MUL", options=_Options(fusedActivationFunction=0),
               inputs=[("FLOAT32", (1, 256, 1), False), ("FLOAT32", (1, 1, 256), False)]), "at least as large"),
        (_view("DEQUANTIZE", inputs=[("INT16", (8,), True)]), "int16"),
        (_view("GATHER_ND"), "GPU_RULES"),
    ],
)
def test_rules_refuse_what_the_delegate_refuses(view, fragment):
    problem = _problem(view)
    assert problem is not None and fragment in problem, problem


def test_rules_accept_supported_variants():
    resize = _view("RESIZE_BILINEAR", version=3, options=_Options(alignCorners=False, halfPixelCenters=True))
    assert _problem(resize) is None
    assert _problem(_view("DEPTH_TO_SPACE", options=_Options(blockSize=2))) is None
    assert set(GPU_RULES) >= {"CONV_2D", "ADD", "MUL", "TANH", "RESIZE_BILINEAR", "DEPTH_TO_SPACE", "DEQUANTIZE"}


def test_garbage_is_a_model_error():
    with pytest.raises(ModelError, match="TFL3"):
        gpu_problems(b"not a flatbuffer at all")


@pytest.mark.parametrize("fmt", ["fp32", "int8"])
def test_the_input_skip_generator_converts_and_passes(fmt):
    # The skip's bicubic (fixed conv + depth-to-space) and atanh (two LOGs) must be TFLite builtins the
    # delegate runs: no Flex op, no custom op, and the fp32 file computes what Keras does.
    from ai_edge_litert.interpreter import Interpreter

    g = LowToHighGenerator(group_filters=(16, 8, 8), group_blocks=(1, 1, 1), input_skip=True)
    g.build((None, 16, 16, 3))
    g.head_conv.kernel.assign(np.random.default_rng(3).normal(0, 0.05, g.head_conv.kernel.shape))
    with tempfile.TemporaryDirectory() as d:
        tflite = convert_saved_model(write_saved_model(g, 1, d), fmt, _faces(4))
    assert gpu_problems(tflite) == []
    counts = op_counts(tflite)
    assert counts["DEPTH_TO_SPACE"] == 1 and counts["LOG"] == 2
    if fmt == "fp32":
        interpreter = Interpreter(model_content=tflite)
        interpreter.allocate_tensors()
        x = _faces(1) * 0.9
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
        interpreter.invoke()
        out = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
        np.testing.assert_allclose(out, g(x, training=False), atol=1e-4)
