"""Spectral normalisation as Miyato et al. (2018) define it: a reparametrisation, not a projection.

The forward pass uses `W / sigma(W)`, where sigma is estimated by power iteration with a persistent vector `u`.
Gradients flow through the division (with `u`, `v` held constant), which is what makes the discriminator
1-Lipschitz *during* learning. Keras' built-in `SpectralNormalization` instead overwrites the kernel in place and
passes no gradient through sigma; on a toy GAN its discriminator drifted to chance, so tfsr implements the
reparametrisation. `u` is a plain non-trainable weight updated with `assign` during training calls: under
`MirroredStrategy` every replica computes the same update from the same (mirrored) kernel, so the replicas stay
identical without any communication.
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import tensorflow as tf
from keras import ops

_WARM_START_ITERATIONS = 200


def _l2_normalize(x: Any, epsilon: float) -> Any:
    return x / ops.sqrt(ops.sum(ops.square(x)) + epsilon)


class SpectralNormalized(keras.layers.Layer):
    """Base of layers whose kernel is divided by its largest singular value.

    Subclasses create `self.kernel` (last axis = outputs) in `build` and call `self._build_u()`; then
    `self.normalized_kernel(training)` returns `W / sigma(W)` and, when training, advances `u` by
    `power_iterations` steps.
    """

    def __init__(self, power_iterations: int = 1, epsilon: float = 1e-12, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if power_iterations < 1:
            raise ValueError(f"power_iterations must be >= 1, got {power_iterations}")
        self.power_iterations = power_iterations
        self.epsilon = epsilon

    def _build_u(self, units: int) -> None:
        self.u = self.add_weight(
            name="u",
            shape=(1, units),
            initializer=keras.initializers.RandomNormal(stddev=1.0),
            trainable=False,
        )
        # Warm start: converge u on the initial kernel once, so that one power iteration per step only has to
        # track the kernel's slow drift. From a random u, a single iteration per step needs hundreds of steps
        # before sigma is accurate, and the early discriminator would be far from 1-Lipschitz.
        if tf.executing_eagerly():
            w = np.asarray(self.kernel.numpy(), dtype=np.float64).reshape(-1, units)
            u = np.asarray(self.u.numpy(), dtype=np.float64)
            for _ in range(_WARM_START_ITERATIONS):
                v = u @ w.T
                v /= np.linalg.norm(v) + self.epsilon
                u = v @ w
                u /= np.linalg.norm(u) + self.epsilon
            self.u.assign(u.astype(np.float32))

    def normalized_kernel(self, training: bool | None = None) -> Any:
        """The kernel divided by its estimated spectral norm (float32, the variables' dtype)."""
        kernel = ops.convert_to_tensor(self.kernel)
        w = ops.reshape(kernel, (-1, kernel.shape[-1]))  # (fan_in, units)
        u = ops.stop_gradient(ops.convert_to_tensor(self.u))
        w_const = ops.stop_gradient(w)
        for _ in range(self.power_iterations):
            v = _l2_normalize(ops.matmul(u, ops.transpose(w_const)), self.epsilon)  # (1, fan_in)
            u = _l2_normalize(ops.matmul(v, w_const), self.epsilon)  # (1, units)
        sigma = ops.sum(ops.matmul(v, w) * u)
        if training:
            self.u.assign(u)
        return kernel / sigma

    def spectral_norm(self) -> float:
        """The exact largest singular value of the normalised kernel (for tests and diagnostics)."""
        w = np.asarray(ops.convert_to_numpy(self.normalized_kernel(training=False)), dtype=np.float64)
        return float(np.linalg.svd(w.reshape(-1, w.shape[-1]), compute_uv=False)[0])

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"power_iterations": self.power_iterations, "epsilon": self.epsilon})
        return config


@keras.saving.register_keras_serializable(package="tfsr")
class SpectralConv2D(SpectralNormalized):
    """A 2-D convolution with a spectrally normalised kernel (stride 1).

    Args:
        filters: output channels.
        kernel_size: square kernel side.
        use_bias: add a bias.
        power_iterations: power-iteration steps per training call.
        epsilon: added under square roots.

    Example:
        >>> conv = SpectralConv2D(32, 3)
        >>> y = conv(keras.random.normal((2, 16, 16, 3)), training=True)
        >>> tuple(y.shape)
        (2, 16, 16, 32)
    """

    def __init__(self, filters: int, kernel_size: int = 3, use_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.use_bias = use_bias

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.kernel_size, self.kernel_size, input_shape[-1], self.filters),
            initializer="glorot_uniform",
        )
        self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros") if self.use_bias else None
        self._build_u(self.filters)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        kernel = ops.cast(self.normalized_kernel(training), inputs.dtype)
        outputs = ops.conv(inputs, kernel, padding="same")
        if self.bias is not None:
            outputs = outputs + ops.cast(self.bias, outputs.dtype)
        return outputs

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.filters)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"filters": self.filters, "kernel_size": self.kernel_size, "use_bias": self.use_bias})
        return config


@keras.saving.register_keras_serializable(package="tfsr")
class SpectralDense(SpectralNormalized):
    """A dense layer with a spectrally normalised kernel.

    Args:
        units: output features.
        use_bias: add a bias.
        power_iterations: power-iteration steps per training call.
        epsilon: added under square roots.

    Example:
        >>> dense = SpectralDense(1)
        >>> tuple(dense(keras.random.normal((4, 128)), training=True).shape)
        (4, 1)
    """

    def __init__(self, units: int, use_bias: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.use_bias = use_bias

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros") if self.use_bias else None
        self._build_u(self.units)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        outputs = ops.matmul(inputs, ops.cast(self.normalized_kernel(training), inputs.dtype))
        if self.bias is not None:
            outputs = outputs + ops.cast(self.bias, outputs.dtype)
        return outputs

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"units": self.units, "use_bias": self.use_bias})
        return config
