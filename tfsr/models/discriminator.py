"""The discriminators of both GANs (paper fig. 5)."""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from tfsr.layers.residual import DiscriminatorResidualBlock
from tfsr.layers.spectral_norm import SpectralDense, SpectralNormalized

# Which of the 6 blocks end with 2x2 max-pooling, per input size: both reach 4x4 before the sum pooling.
_POOLING_BLOCKS = {16: (4, 5), 64: (0, 1, 4, 5)}


@keras.saving.register_keras_serializable(package="tfsr")
class Discriminator(keras.Model):
    """Six spectrally normalised residual blocks, ReLU, global sum pooling and a spectrally normalised Dense(1).

    The 16x16 discriminator (High-to-Low GAN) pools in blocks 5 and 6 (16 -> 4); the 64x64 one (Low-to-High GAN)
    also pools in blocks 1 and 2 (64 -> 16 -> 4). The output is one unbounded score per image (float32), used
    with the hinge loss.

    Args:
        input_size: 16 or 64.
        filters: channels of every block.
        power_iterations: spectral-norm power iterations per training call.

    Example:
        >>> d = Discriminator(input_size=16, filters=32)
        >>> tuple(d(keras.random.normal((4, 16, 16, 3)), training=True).shape)
        (4, 1)
    """

    def __init__(self, input_size: int = 64, filters: int = 128, power_iterations: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if input_size not in _POOLING_BLOCKS:
            raise ValueError(f"Discriminator input_size must be one of {sorted(_POOLING_BLOCKS)}, got {input_size}")
        self.input_size = input_size
        self.filters = filters
        self.power_iterations = power_iterations
        pooling = _POOLING_BLOCKS[input_size]
        self.blocks = [
            DiscriminatorResidualBlock(
                filters,
                downsample=i in pooling,
                preactivate=i > 0,
                power_iterations=power_iterations,
                name=f"block{i}",
            )
            for i in range(6)
        ]
        self.score = SpectralDense(1, power_iterations=power_iterations, dtype="float32", name="score")

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if tuple(input_shape[1:]) != (self.input_size, self.input_size, 3):
            raise ValueError(
                f"Discriminator({self.input_size}) expects images of shape (B, {self.input_size}, "
                f"{self.input_size}, 3), got {tuple(input_shape)}"
            )
        self.call(keras.KerasTensor(tuple(input_shape), dtype=self.compute_dtype))
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        x = inputs
        for block in self.blocks:
            x = block(x, training=training)
        features = ops.sum(ops.relu(x), axis=(1, 2))
        return self.score(ops.cast(features, "float32"), training=training)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (input_shape[0], 1)

    def spectral_layers(self) -> list[Any]:
        """Every spectrally normalised layer (for checks of sigma(W))."""
        return [layer for layer in self._flatten_layers() if isinstance(layer, SpectralNormalized)]

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "input_size": self.input_size,
            "filters": self.filters,
            "power_iterations": self.power_iterations,
        }
