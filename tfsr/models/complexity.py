"""Counting a network's parameters and multiply-accumulates, read off its TensorFlow graph.

Counting from the traced graph (rather than from layer arithmetic) means every convolution and matrix
product the network really runs is counted, whatever layer produced it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import keras
import numpy as np
import tensorflow as tf


@dataclass
class Complexity:
    """Size and cost of one network for a single image.

    Args:
        name: the network's name.
        parameters: all weights (trainable and not, e.g. BatchNorm statistics and spectral-norm vectors).
        trainable: trainable weights.
        macs: multiply-accumulates of convolutions and matrix products for one image.
    """

    name: str
    parameters: int
    trainable: int
    macs: int


def _dims(tensor: tf.Tensor) -> list[int]:
    return [1 if d is None else int(d) for d in tensor.shape.as_list()]


def _op_macs(op: tf.Operation) -> int:
    if op.type == "Conv2D":
        out = _dims(op.outputs[0])
        kh, kw, cin, _ = _dims(op.inputs[1])
        return int(np.prod(out)) * kh * kw * cin
    if op.type == "Conv2DBackpropInput":  # a transposed convolution: cost follows its (smaller) input
        kh, kw, cout, cin = _dims(op.inputs[1])
        inp = _dims(op.inputs[2])
        return int(np.prod(inp[:-1])) * kh * kw * cin * cout
    if op.type in ("MatMul", "BatchMatMulV2", "BatchMatMulV3"):
        a = _dims(op.inputs[0])
        transpose_a = op.get_attr("transpose_a") if op.type == "MatMul" else op.get_attr("adj_x")
        inner = a[-2] if transpose_a else a[-1]
        return int(np.prod(_dims(op.outputs[0]))) * inner
    return 0


def count_macs(model: keras.Model, input_specs: Sequence[tf.TensorSpec] | tf.TensorSpec) -> int:
    """Multiply-accumulates of one inference call of `model` on inputs of batch size 1.

    Args:
        model: a built Keras model.
        input_specs: one `tf.TensorSpec` (or a tuple of them, for models called on a tuple) with batch 1.

    Example:
        >>> from tfsr.models import LowToHighGenerator
        >>> g = LowToHighGenerator((8, 8, 8), (1, 1, 1))
        >>> count_macs(g, tf.TensorSpec((1, 16, 16, 3))) > 0
        True
    """
    fn = tf.function(lambda x: model(x, training=False))
    graph = fn.get_concrete_function(input_specs).graph
    total = 0
    for op in graph.get_operations():
        total += _op_macs(op)
        # Ops inside nested functions (e.g. while loops) would need walking their bodies; our networks have none.
    return total


def complexity(model: keras.Model, input_specs: Any) -> Complexity:
    """Parameters and MACs of `model` (see `count_macs` for `input_specs`)."""
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    return Complexity(model.name, int(model.count_params()), trainable, count_macs(model, input_specs))
