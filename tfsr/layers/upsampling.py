"""Bilinear x2 upsampling with an explicit sampling convention."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


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
        b, h, w, c = input_shape
        return (b, None if h is None else h * self.scale, None if w is None else w * self.scale, c)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"scale": self.scale, "align_corners": self.align_corners})
        return config
