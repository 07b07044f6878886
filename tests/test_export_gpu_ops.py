"""The GPU-delegate operator gate: real converted files pass, Flex/unsupported ops and bad options fail."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest
import tensorflow as tf

from tfsr.errors import ModelError
from tfsr.export.convert import FORMATS, convert_saved_model, write_saved_model
from tfsr.export.gpu_ops import GPU_RULES, OpView, _problem, gpu_problems, op_counts, operators
from tfsr.models import LowToHighGenerator


def _convert_function(fn, select_tf_ops: bool = False) -> bytes:
    """Converts a one-input tf.function on (1, 16, 16, 3) through a SavedModel."""
    module = tf.Module()
    module.f = tf.function(fn, input_signature=[tf.TensorSpec((1, 16, 16, 3), tf.float32)])
    with tempfile.TemporaryDirectory() as d:
        tf.saved_model.save(module, d, signatures={"serving_default": module.f})
        converter = tf.lite.TFLiteConverter.from_saved_model(d)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS] + (
            [tf.lite.OpsSet.SELECT_TF_OPS] if select_tf_ops else []
        )
        return converter.convert()


@pytest.fixture(scope="module")
def tiny_files() -> dict[str, bytes]:
    g = LowToHighGenerator(group_filters=(16, 8, 8), group_blocks=(1, 1, 1), align_corners=True)
    g.build((None, 16, 16, 3))
    faces = np.random.default_rng(0).uniform(-1, 1, (4, 16, 16, 3)).astype(np.float32)
    with tempfile.TemporaryDirectory() as d:
        saved = write_saved_model(g, 1, d)
        return {fmt: convert_saved_model(saved, fmt, faces) for fmt in FORMATS}


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_of_the_generator_passes(tiny_files, fmt):
    tflite = tiny_files[fmt]
    assert gpu_problems(tflite) == []
    counts = op_counts(tflite)
    assert counts["CONV_2D"] == 10 and counts["RESIZE_BILINEAR"] == 2 and counts["TANH"] == 1
    assert all(not name.startswith("CUSTOM") for name in counts)


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
