"""Upsampling layers: bilinear with an explicit sampling convention, and bicubic that TFLite GPU runs."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf


def _scaled_shape(input_shape: tuple[int | None, ...], scale: int) -> tuple[int | None, ...]:
    """`(B, H, W, C)` -> `(B, H * scale, W * scale, C)`, unknown sides staying unknown."""
    b, h, w, c = input_shape
    return (b, None if h is None else h * scale, None if w is None else w * scale, c)


@keras.saving.register_keras_serializable(package="tfsr")
class BilinearUpsampling(keras.layers.Layer):
    """Bilinear upsampling by an integer factor.

    The convention matters: the authors' released network samples with `align_corners=True` (source coordinate
    `dst * (in - 1) / (out - 1)`), while Keras' `UpSampling2D` and TF2's `tf.image.resize` use half-pixel centres;
    mixing them up shifts outputs by about 1.5e-2. Both map to TFLite's RESIZE_BILINEAR, which the GPU
    delegate runs.

    Args:
        scale: integer upsampling factor.
        align_corners: corner-aligned sampling (True) or half-pixel centres (False).

    Example:
        >>> up = BilinearUpsampling(2, align_corners=True)
        >>> tuple(up(tf.zeros((1, 16, 16, 8))).shape)
        (1, 32, 32, 8)
    """

    def __init__(self, scale: int = 2, align_corners: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = scale
        self.align_corners = align_corners

    def call(self, inputs: Any) -> Any:
        size = tf.shape(inputs)[1:3] * self.scale
        outputs = tf.raw_ops.ResizeBilinear(
            images=inputs, size=size, align_corners=self.align_corners, half_pixel_centers=not self.align_corners
        )
        return tf.cast(outputs, inputs.dtype)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return _scaled_shape(input_shape, self.scale)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"scale": self.scale, "align_corners": self.align_corners})
        return config


def _keys_cubic(x: float, a: float = -0.5) -> float:
    """Keys' cubic convolution kernel (a = -0.5), the weight of a sample at distance `x`."""
    x = abs(x)
    if x <= 1:
        return (a + 2) * x**3 - (a + 3) * x**2 + 1
    if x < 2:
        return a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a
    return 0.0


def _bicubic_phase_taps(scale: int) -> np.ndarray:
    """`[scale, 2 * radius + 1]` 1-D taps: output phase `p` of input pixel `i` from inputs `i - radius .. i + radius`.

    With half-pixel centres, output `scale * i + p` samples input coordinate `i + (p + 0.5) / scale - 0.5`.
    """
    radius = 2
    taps = np.zeros((scale, 2 * radius + 1))
    for p in range(scale):
        d = (p + 0.5) / scale - 0.5
        for k in range(-radius, radius + 1):
            taps[p, k + radius] = _keys_cubic(k - d)
    return taps


@keras.saving.register_keras_serializable(package="tfsr")
class BicubicUpsampling(keras.layers.Layer):
    """Bicubic upsampling by an integer factor as one fixed convolution and a depth-to-space.

    The same numbers as `tf.image.resize(x, size, "bicubic")` (Keys' kernel, a = -0.5, half-pixel centres, taps
    outside the image dropped and the rest renormalised), but built from CONV_2D, MUL and DEPTH_TO_SPACE,
    which TFLite's GPU delegate runs: TFLite has no bicubic resize operator. Each of the `scale^2` output phases
    of a pixel is a separable 5x5 filter of its neighbourhood; the renormalisation at the borders is the same
    filter applied to an image of ones.

    Args:
        scale: integer upsampling factor.

    Example:
        >>> up = BicubicUpsampling(4)
        >>> tuple(up(tf.zeros((1, 16, 16, 3))).shape)
        (1, 64, 64, 3)
    """

    def __init__(self, scale: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = int(scale)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        channels = int(input_shape[-1])
        taps = _bicubic_phase_taps(self.scale)
        kernel = np.zeros((taps.shape[1], taps.shape[1], channels, self.scale**2 * channels), np.float32)
        # DEPTH_TO_SPACE reads output channel ((py * scale + px) * channels + c) as phase (py, px) of colour c.
        for py in range(self.scale):
            for px in range(self.scale):
                for c in range(channels):
                    kernel[:, :, c, (py * self.scale + px) * channels + c] = np.outer(taps[py], taps[px])
        self._kernel = tf.constant(kernel)
        self.built = True

    def call(self, inputs: Any) -> Any:
        x = tf.cast(inputs, tf.float32)
        phases = tf.nn.conv2d(x, self._kernel, 1, "SAME")
        # Zero padding plus dividing by the taps that fell inside: the border rule of TF's bicubic resize.
        inside = tf.nn.conv2d(tf.ones_like(x), self._kernel, 1, "SAME")
        outputs = tf.nn.depth_to_space(phases * tf.math.reciprocal(inside), self.scale)
        return tf.cast(outputs, inputs.dtype)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return _scaled_shape(input_shape, self.scale)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"scale": self.scale})
        return config
