"""The two pre-activation residual blocks of the paper (fig. 6)."""

from __future__ import annotations

from typing import Any

import keras
from keras import layers, ops

from tfsr.layers.spectral_norm import SpectralConv2D


def generator_batch_norm(epsilon: float, momentum: float, name: str) -> layers.BatchNormalization:
    """BatchNorm as the generators use it: synchronised across replicas, so the statistics of a
    multi-GPU run equal those of one device seeing the same global batch."""
    return layers.BatchNormalization(epsilon=epsilon, momentum=momentum, synchronized=True, name=name)


@keras.saving.register_keras_serializable(package="tfsr")
class GeneratorResidualBlock(layers.Layer):
    """Pre-activation residual block of both generators (fig. 6b): `BN-ReLU-Conv3x3-BN-ReLU-Conv3x3` + input.

    Where the channel count changes, the shortcut is a 1x1 convolution (`skip`). Sub-layer names follow the
    authors' released code (`bn1`, `conv1`, `bn2`, `conv2`, `skip`), so their weights map one to one.

    Args:
        filters: output channels.
        bn_epsilon: BatchNorm epsilon (1e-5 matches the authors' PyTorch training).
        bn_momentum: BatchNorm momentum (Keras convention; 0.9 = PyTorch's 0.1).
        use_bias: bias in the 3x3 convolutions (the authors use none: a BN follows or the sum absorbs it).
        shortcut_bias: bias in the 1x1 shortcut convolution.

    Example:
        >>> block = GeneratorResidualBlock(32)
        >>> tuple(block(keras.random.normal((2, 16, 16, 64))).shape)
        (2, 16, 16, 32)
    """

    def __init__(
        self,
        filters: int,
        bn_epsilon: float = 1e-5,
        bn_momentum: float = 0.9,
        use_bias: bool = False,
        shortcut_bias: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = filters
        self.bn_epsilon = bn_epsilon
        self.bn_momentum = bn_momentum
        self.use_bias = use_bias
        self.shortcut_bias = shortcut_bias
        self.bn1 = generator_batch_norm(bn_epsilon, bn_momentum, "bn1")
        self.conv1 = layers.Conv2D(filters, 3, padding="same", use_bias=use_bias, name="conv1")
        self.bn2 = generator_batch_norm(bn_epsilon, bn_momentum, "bn2")
        self.conv2 = layers.Conv2D(filters, 3, padding="same", use_bias=use_bias, name="conv2")
        self.skip: layers.Conv2D | None = None

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        channels = input_shape[-1]
        self.bn1.build(input_shape)
        self.conv1.build(input_shape)
        inner = (*input_shape[:-1], self.filters)
        self.bn2.build(inner)
        self.conv2.build(inner)
        if channels != self.filters:
            self.skip = layers.Conv2D(self.filters, 1, use_bias=self.shortcut_bias, name="skip")
            self.skip.build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        x = self.conv1(ops.relu(self.bn1(inputs, training=training)))
        x = self.conv2(ops.relu(self.bn2(x, training=training)))
        shortcut = inputs if self.skip is None else self.skip(inputs)
        return x + shortcut

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.filters)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "bn_epsilon": self.bn_epsilon,
                "bn_momentum": self.bn_momentum,
                "use_bias": self.use_bias,
                "shortcut_bias": self.shortcut_bias,
            }
        )
        return config


@keras.saving.register_keras_serializable(package="tfsr")
class DiscriminatorResidualBlock(layers.Layer):
    """Pre-activation residual block of the discriminators (fig. 6a): `ReLU-SNConv3x3-ReLU-SNConv3x3` + shortcut.

    No BatchNorm (spectral normalisation alone controls the discriminator). A downsampling block ends both
    branches with 2x2 max-pooling; its shortcut, like one that changes channels, is a spectrally normalised
    1x1 convolution. The first block of a discriminator sees the image itself and has no leading ReLU.

    Args:
        filters: output channels.
        downsample: end with 2x2 max-pooling.
        preactivate: apply the leading ReLU (False for the first block).
        power_iterations: spectral-norm power iterations per training call.

    Example:
        >>> block = DiscriminatorResidualBlock(64, downsample=True, preactivate=False)
        >>> tuple(block(keras.random.normal((2, 16, 16, 3))).shape)
        (2, 8, 8, 64)
    """

    def __init__(
        self,
        filters: int,
        downsample: bool = False,
        preactivate: bool = True,
        power_iterations: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.filters = filters
        self.downsample = downsample
        self.preactivate = preactivate
        self.power_iterations = power_iterations
        self.conv1 = SpectralConv2D(filters, 3, power_iterations=power_iterations, name="conv1")
        self.conv2 = SpectralConv2D(filters, 3, power_iterations=power_iterations, name="conv2")
        self.pool = layers.MaxPooling2D(2, name="pool") if downsample else None
        self.skip: SpectralConv2D | None = None

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.conv1.build(input_shape)
        self.conv2.build((*input_shape[:-1], self.filters))
        if input_shape[-1] != self.filters or self.downsample:
            self.skip = SpectralConv2D(self.filters, 1, power_iterations=self.power_iterations, name="skip")
            self.skip.build(input_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        x = ops.relu(inputs) if self.preactivate else inputs
        x = self.conv1(x, training=training)
        x = self.conv2(ops.relu(x), training=training)
        shortcut = inputs if self.skip is None else self.skip(inputs, training=training)
        if self.pool is not None:
            x = self.pool(x)
            shortcut = self.pool(shortcut)
        return x + shortcut

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        b, h, w, _ = input_shape
        if self.downsample:
            h = None if h is None else h // 2
            w = None if w is None else w // 2
        return (b, h, w, self.filters)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "filters": self.filters,
                "downsample": self.downsample,
                "preactivate": self.preactivate,
                "power_iterations": self.power_iterations,
            }
        )
        return config
