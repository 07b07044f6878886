"""The High-to-Low generator (paper sec. 3.3, fig. 4a): a 64x64 face and a noise vector -> a realistic 16x16 face."""

from __future__ import annotations

from typing import Any

import keras
from keras import layers, ops

from tfsr.layers.degradation_prior import DegradationPrior
from tfsr.layers.input_skip import InputSkip
from tfsr.layers.pixel_shuffle import PixelShuffle
from tfsr.layers.residual import GeneratorResidualBlock, generator_batch_norm

# Groups 1-4 halve the resolution (64 -> 4); groups 5-6 double it back (4 -> 16): a net factor of 4.
_DOWN_GROUPS = 4
_UP_GROUPS = 2


@keras.saving.register_keras_serializable(package="tfsr")
class HighToLowGenerator(keras.Model):
    """Degrades and downsamples a high-resolution face by 4, conditioned on noise.

    The noise vector is projected to a one-channel image of the input's size and concatenated to it, so
    different `z` give different degradations of the same face. Twelve pre-activation residual blocks in six
    groups follow: groups 1-4 end with 2x2 average pooling, groups 5-6 with a pixel shuffle x2.

    Call it on `(hr, z)`: `hr` of shape `(B, hr_size, hr_size, 3)` in [-1, 1] and `z` of shape `(B, noise_dim)`,
    usually standard normal. The output is `(B, hr_size / 4, hr_size / 4, 3)` in [-1, 1] (float32 under any
    mixed-precision policy).

    Args:
        filters: channels of the residual blocks.
        noise_dim: length of z.
        blocks_per_group: residual blocks per group (2 in the paper).
        hr_size: side of the input face; a multiple of 16.
        bn_epsilon: BatchNorm epsilon.
        bn_momentum: BatchNorm momentum.
        input_skip: predict a correction of `AvgPool4(hr)` (`InputSkip`, zero-initialised last convolution)
            instead of the whole output; a tfsr deviation from the paper (off there) that makes the network
            start at the pixel loss's optimum, so the GAN term only has to learn the degradation.
        degradation_prior: give the network an explicit blur and sensor-noise model (`DegradationPrior`):
            the skip's base is `AvgPool4` of the face blurred as z draws, and z's noise is added to the output;
            a tfsr deviation (off in the paper), requires `input_skip`.
        colour_lock: shift each output so that its mean colour (per image and channel, before the prior's
            noise) equals the input face's: the network can degrade a face but not recolour it. A tfsr
            deviation (off in the paper): with unpaired sets, the discriminator tells HR faces from real LR
            ones partly by colour (other people, other light), a soft colour loss still let High-to-Low learn
            about a tenth of that cast, and the Low-to-High trained on its pairs learned to invert it, tinting
            every face it restores.

    Example:
        >>> g = HighToLowGenerator(filters=16, noise_dim=8, blocks_per_group=1)
        >>> lr = g((keras.random.normal((2, 64, 64, 3)), keras.random.normal((2, 8))))
        >>> tuple(lr.shape)
        (2, 16, 16, 3)
    """

    def __init__(
        self,
        filters: int = 64,
        noise_dim: int = 64,
        blocks_per_group: int = 2,
        hr_size: int = 64,
        bn_epsilon: float = 1e-5,
        bn_momentum: float = 0.9,
        input_skip: bool = False,
        degradation_prior: bool = False,
        colour_lock: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if degradation_prior and not input_skip:
            raise ValueError("HighToLowGenerator: degradation_prior needs input_skip (the prior blurs the skip's base)")
        if hr_size % 16:
            raise ValueError(f"HighToLowGenerator: hr_size must be a multiple of 16, got {hr_size}")
        self.filters = filters
        self.noise_dim = noise_dim
        self.blocks_per_group = blocks_per_group
        self.hr_size = hr_size
        self.bn_epsilon = bn_epsilon
        self.bn_momentum = bn_momentum
        self.input_skip = bool(input_skip)
        self.degradation_prior = bool(degradation_prior)
        self.colour_lock = bool(colour_lock)

        self.noise_projection = layers.Dense(hr_size * hr_size, name="noise_projection")
        self.stem = layers.Conv2D(filters, 3, padding="same", name="stem")
        self.groups = []
        for g in range(_DOWN_GROUPS + _UP_GROUPS):
            group = [
                GeneratorResidualBlock(filters, bn_epsilon, bn_momentum, name=f"group{g}_block{b}")
                for b in range(blocks_per_group)
            ]
            if g < _DOWN_GROUPS:
                group.append(layers.AveragePooling2D(2, name=f"group{g}_pool"))
            else:
                group.append(layers.Conv2D(4 * filters, 3, padding="same", name=f"group{g}_expand"))
                group.append(PixelShuffle(2, name=f"group{g}_shuffle"))
            self.groups.append(group)
        self.head_bn = generator_batch_norm(bn_epsilon, bn_momentum, "head_bn")
        init = "zeros" if self.input_skip else "glorot_uniform"
        self.head_conv = layers.Conv2D(3, 3, padding="same", kernel_initializer=init, name="head_conv")
        # The head ends in tanh in float32 (InputSkip, the prior's skip or a float32 Activation): the output
        # feeds losses and images, which must not be half precision.
        self.prior = DegradationPrior(scale=4, name="degradation_prior") if self.degradation_prior else None
        if self.prior is None and self.input_skip:
            self.skip_pool = layers.AveragePooling2D(4, name="skip_pool")
            self.head_tanh = InputSkip(name="head_skip")
        elif self.prior is None:
            self.head_tanh = layers.Activation("tanh", dtype="float32", name="head_tanh")

    @property
    def lr_size(self) -> int:
        return self.hr_size // 4

    def build(self, input_shape: Any) -> None:
        hr_shape, z_shape = input_shape
        if tuple(hr_shape[1:]) != (self.hr_size, self.hr_size, 3):
            raise ValueError(
                f"HighToLowGenerator expects HR faces of shape (B, {self.hr_size}, {self.hr_size}, 3), got {tuple(hr_shape)}"
            )
        if z_shape[-1] != self.noise_dim:
            raise ValueError(f"HighToLowGenerator expects noise of shape (B, {self.noise_dim}), got {tuple(z_shape)}")
        self.call(
            (keras.KerasTensor(tuple(hr_shape), dtype=self.compute_dtype), keras.KerasTensor(tuple(z_shape), dtype=self.compute_dtype))
        )
        self.built = True

    def call(self, inputs: Any, training: bool | None = None, undegraded: bool = False) -> Any:
        """The LR face of `(hr, z)`; with `undegraded` (and the prior), also the same network's output
        without the prior's blur and noise, `(lr, undegraded_lr)`: what the pixel loss anchors."""
        hr, z = inputs
        noise_map = ops.reshape(self.noise_projection(z), (-1, self.hr_size, self.hr_size, 1))
        x = self.stem(ops.concatenate([hr, ops.cast(noise_map, hr.dtype)], axis=-1))
        for group in self.groups:
            for layer in group:
                x = layer(x, training=training) if isinstance(layer, GeneratorResidualBlock) else layer(x)
        x = self.head_conv(ops.relu(self.head_bn(x, training=training)))
        if self.prior is not None:
            lr = self.prior((hr, z, x))
            # The prior-free output only when something reads it (plain generation skips the extra pass).
            clean = self.prior.undegraded(hr, x) if undegraded or self.colour_lock else None
        else:
            lr = self.head_tanh((self.skip_pool(hr), x)) if self.input_skip else self.head_tanh(x)
            clean = lr
        if self.colour_lock:
            # The shift is measured on the noise-free output, so the noise's own (tiny, clipped) mean does
            # not move it; AvgPool4(hr) has exactly hr's mean.
            shift = ops.mean(ops.cast(hr, "float32"), axis=(1, 2), keepdims=True) - ops.mean(clean, axis=(1, 2), keepdims=True)
            lr, clean = ops.clip(lr + shift, -1.0, 1.0), clean + shift
        return (lr, clean) if undegraded and self.prior is not None else lr

    def compute_output_shape(self, input_shape: Any) -> tuple[int | None, ...]:
        return (input_shape[0][0], self.lr_size, self.lr_size, 3)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "filters": self.filters,
            "noise_dim": self.noise_dim,
            "blocks_per_group": self.blocks_per_group,
            "hr_size": self.hr_size,
            "bn_epsilon": self.bn_epsilon,
            "bn_momentum": self.bn_momentum,
            "input_skip": self.input_skip,
            "degradation_prior": self.degradation_prior,
            "colour_lock": self.colour_lock,
        }
