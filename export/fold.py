"""BatchNorm folded into the convolutions of the authors' Low-to-High network, before conversion.

What TFLite's converter already does by itself: a BatchNorm that directly follows a convolution (`bn2` after
`conv1` in every pre-activation block) becomes that convolution's scale and bias. What it cannot do: the
other BatchNorms (`bn1` of every block, after the residual sum; the one after each bilinear x2) follow an
ADD or a RESIZE, so they stay a MUL and an ADD per element. Here, with every scale `s = gamma /
sqrt(var + eps)` positive, `relu(s * x + b) = s * relu(x + b / s)`: the scale moves into the input channels of
the convolution that follows the ReLU, and what is left of the BatchNorm is one ADD that carries the ReLU
(TFLite fuses it). A BatchNorm with a scale <= 0 in any channel is kept as it is.

Only the released layout (`OfficialLowToHighGenerator`) is rewritten; inference only (the moving statistics).

Example:
    >>> folded = fold_batch_norms(generator)  # doctest: +SKIP
    >>> np.allclose(folded(x), generator(x, training=False), atol=1e-4)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import layers, ops

from tfsr.errors import ConfigError
from tfsr.layers.upsampling import BilinearUpsampling


@keras.saving.register_keras_serializable(package="tfsr_export")
class ShiftReLU(layers.Layer):
    """`relu(x + shift)` with a per-channel constant: what is left of a BatchNorm whose scale moved on."""

    def __init__(self, channels: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.channels = channels
        self.shift = self.add_weight(shape=(channels,), initializer="zeros", trainable=False, name="shift")

    def call(self, inputs: Any) -> Any:
        return ops.relu(inputs + self.shift)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "channels": self.channels}


def _affine(bn: layers.BatchNormalization) -> tuple[np.ndarray, np.ndarray]:
    """(scale, offset) of an inference-mode BatchNorm: `bn(x) = scale * x + offset`."""
    gamma = np.asarray(bn.gamma) if bn.scale else 1.0
    beta = np.asarray(bn.beta) if bn.center else 0.0
    scale = gamma / np.sqrt(np.asarray(bn.moving_variance, np.float64) + bn.epsilon)
    return scale, beta - np.asarray(bn.moving_mean) * scale


def _conv(source: layers.Conv2D, kernel: np.ndarray, bias: np.ndarray | None, name: str,
          activation: str | None = None) -> layers.Conv2D:
    conv = layers.Conv2D(kernel.shape[-1], kernel.shape[:2], padding=source.padding, use_bias=bias is not None,
                         activation=activation, name=name)
    conv.build((None, None, None, kernel.shape[2]))
    conv.set_weights([kernel.astype(np.float32)] + ([] if bias is None else [bias.astype(np.float32)]))
    return conv


def _weights(conv: layers.Conv2D) -> tuple[np.ndarray, np.ndarray]:
    kernel = np.asarray(conv.kernel, np.float64)
    bias = np.asarray(conv.bias, np.float64) if conv.use_bias else np.zeros(kernel.shape[-1])
    return kernel, bias


class _Folder:
    """Builds the folded layers; counts what it folded."""

    def __init__(self) -> None:
        self.folded, self.kept = 0, 0

    def bn_relu_conv(self, x: Any, bn: layers.BatchNormalization, conv: layers.Conv2D, name: str,
                     then_bn: layers.BatchNormalization | None = None) -> Any:
        """`conv(relu(bn(x)))`, then `then_bn`'s affine folded into conv's outputs when given."""
        scale, offset = _affine(bn)
        kernel, bias = _weights(conv)
        if np.all(scale > 0):
            kernel = kernel * scale[None, None, :, None]
            shift = ShiftReLU(len(scale), name=f"{name}_shift_relu")
            shift.build((None, None, None, len(scale)))
            shift.shift.assign((offset / scale).astype(np.float32))
            x = shift(x)
            self.folded += 1
        else:
            x = layers.ReLU(name=f"{name}_relu")(_copy_bn(bn, f"{name}_bn")(x))
            self.kept += 1
        activation = None
        if then_bn is not None:  # a BatchNorm right after the convolution: always foldable
            out_scale, out_offset = _affine(then_bn)
            kernel, bias = kernel * out_scale, bias * out_scale + out_offset
            activation = "relu"  # the folded BatchNorm was followed by a ReLU (pre-activation)
        has_bias = conv.use_bias or then_bn is not None
        return _conv(conv, kernel, bias if has_bias else None, name, activation)(x)


def _copy_bn(bn: layers.BatchNormalization, name: str) -> layers.BatchNormalization:
    copy = layers.BatchNormalization(epsilon=bn.epsilon, name=name)
    copy.build((None, None, None, bn.moving_mean.shape[0]))
    copy.set_weights([np.asarray(w) for w in bn.weights])
    return copy


def fold_batch_norms(model: Any) -> keras.Model:
    """An inference-only functional copy of an `OfficialLowToHighGenerator` with its BatchNorms folded.

    Args:
        model: a built `OfficialLowToHighGenerator` (float32).

    Returns:
        A `keras.Model` (B, H, W, 3) -> (B, 4H, 4W, 3) equal to `model(x, training=False)` up to float32
        rounding; attribute `folded_batch_norms` / `kept_batch_norms` counts the BatchNorms whose scale moved
        into a convolution / that could not.

    Raises:
        ConfigError: `model` is not the released layout.
    """
    from tfsr.models.official_low_to_high import OfficialLowToHighGenerator

    if not isinstance(model, OfficialLowToHighGenerator):
        raise ConfigError(f"BatchNorm folding knows the released layout only, not {type(model).__name__}")
    folder = _Folder()
    inputs = keras.Input((None, None, 3), name="lr_faces")
    stem_kernel, stem_bias = _weights(model.layers_in)
    x = _conv(model.layers_in, stem_kernel, None if not model.layers_in.use_bias else stem_bias, "layers_in")(inputs)

    def block(x: Any, b: Any, name: str) -> Any:
        y = folder.bn_relu_conv(x, b.bn1, b.conv1, f"{name}_conv1", then_bn=b.bn2)
        conv2_kernel, conv2_bias = _weights(b.conv2)
        y = _conv(b.conv2, conv2_kernel, conv2_bias if b.conv2.use_bias else None, f"{name}_conv2")(y)
        if b.skip is None:
            return layers.Add(name=f"{name}_sum")([y, x])
        skip_kernel, skip_bias = _weights(b.skip)
        shortcut = _conv(b.skip, skip_kernel, skip_bias if b.skip.use_bias else None, f"{name}_skip")(x)
        return layers.Add(name=f"{name}_sum")([y, shortcut])

    def up(x: Any, stage: list, name: str) -> Any:
        resize, bn, _, conv = stage
        x = BilinearUpsampling(resize.scale, align_corners=resize.align_corners, name=f"{name}_resize")(x)
        return folder.bn_relu_conv(x, bn, conv, f"{name}_conv")

    g = x
    for i, b in enumerate(model.layers_set_final[0]):
        g = block(g, b, f"g0_{i}")
    x = layers.Add(name="g0_skip")([x, g])
    x = up(x, model.layers_set_final_up[0], "up0")
    g = x
    for i, b in enumerate(model.layers_set_final[1]):
        g = block(g, b, f"g1_{i}")
    a1_kernel, a1_bias = _weights(model.a1[0])
    x = layers.Add(name="g1_skip")([g, _conv(model.a1[0], a1_kernel, a1_bias, "a1")(x)])
    x = up(x, model.layers_set_final_up[1], "up1")
    head = model.main
    k0, b0 = _weights(head[0])
    x = _conv(head[0], k0, b0 if head[0].use_bias else None, "main_0", activation="relu")(x)
    k2, b2 = _weights(head[2])
    x = _conv(head[2], k2, b2, "main_2", activation="relu")(x)
    k4, b4 = _weights(head[4])
    x = _conv(head[4], k4, b4, "main_4", activation="tanh")(x)
    folded = keras.Model(inputs, x, name=f"{model.name}_folded")
    folded.folded_batch_norms, folded.kept_batch_norms = folder.folded, folder.kept
    return folded
