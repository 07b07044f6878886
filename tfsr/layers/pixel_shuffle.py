"""Sub-pixel upsampling (depth-to-space), the High-to-Low generator's way back up from 4x4."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="tfsr")
class PixelShuffle(keras.layers.Layer):
    """Rearranges `scale**2` groups of channels into a `scale`-times larger image.

    Args:
        scale: the upsampling factor; input channels must divide by `scale**2`.

    Example:
        >>> tuple(PixelShuffle(2)(tf.zeros((1, 4, 4, 64))).shape)
        (1, 8, 8, 16)
    """

    def __init__(self, scale: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scale = scale

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if input_shape[-1] % (self.scale**2):
            raise ValueError(f"PixelShuffle({self.scale}) needs channels divisible by {self.scale**2}, got {input_shape[-1]}")

    def call(self, inputs: Any) -> Any:
        return tf.nn.depth_to_space(inputs, self.scale)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        b, h, w, c = input_shape
        s = self.scale
        return (b, None if h is None else h * s, None if w is None else w * s, c // (s * s))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["scale"] = self.scale
        return config
