"""The Low-to-High generator (paper sec. 3.4, fig. 4b): a 16x16 face -> a 64x64 face."""

from __future__ import annotations

from typing import Any, Sequence

import keras
from keras import layers, ops

from tfsr.layers.residual import GeneratorResidualBlock, generator_batch_norm
from tfsr.layers.input_skip import InputSkip
from tfsr.layers.upsampling import BicubicUpsampling, BilinearUpsampling


@keras.saving.register_keras_serializable(package="tfsr")
class LowToHighGenerator(keras.Model):
    """Super-resolves a face by 4 with three groups of pre-activation residual blocks.

    Group 1 works at the input resolution; groups 2 and 3 each start with a bilinear x2. Each group adds a skip
    from its input to its output (a 1x1 convolution where the channel count changes). No noise input.
    Defaults are the paper's 17 blocks: 12 at 16x16 (256 channels), 3 at 32x32 (128), 2 at 64x64 (96).

    Args:
        group_filters: channels of the three groups.
        group_blocks: residual blocks of the three groups.
        align_corners: bilinear sampling convention.
        bn_epsilon: BatchNorm epsilon.
        bn_momentum: BatchNorm momentum.
        input_skip: predict a correction of the bicubic upsampling of the input (`InputSkip`, zero-initialised
            last convolution) instead of the whole output; a tfsr deviation from the paper (off there): the
            network starts as bicubic, so training can only have to beat it.

    Example:
        >>> g = LowToHighGenerator(group_filters=(32, 16, 16), group_blocks=(2, 1, 1))
        >>> tuple(g(keras.random.normal((2, 16, 16, 3))).shape)
        (2, 64, 64, 3)
    """

    def __init__(
        self,
        group_filters: Sequence[int] = (256, 128, 96),
        group_blocks: Sequence[int] = (12, 3, 2),
        align_corners: bool = False,
        bn_epsilon: float = 1e-5,
        bn_momentum: float = 0.9,
        input_skip: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if len(group_filters) != len(group_blocks) or not group_filters:
            raise ValueError(f"group_filters {group_filters} and group_blocks {group_blocks} must have the same length")
        self.group_filters = [int(f) for f in group_filters]
        self.group_blocks = [int(b) for b in group_blocks]
        self.align_corners = align_corners
        self.bn_epsilon = bn_epsilon
        self.bn_momentum = bn_momentum
        self.input_skip = bool(input_skip)

        self.stem = layers.Conv2D(self.group_filters[0], 3, padding="same", use_bias=False, name="stem")
        self.upsamplers = [
            BilinearUpsampling(2, align_corners=align_corners, name=f"group{g}_upsample")
            for g in range(1, len(self.group_filters))
        ]
        self.groups = [
            [GeneratorResidualBlock(f, bn_epsilon, bn_momentum, name=f"group{g}_block{b}") for b in range(n)]
            for g, (f, n) in enumerate(zip(self.group_filters, self.group_blocks))
        ]
        previous = [self.group_filters[0], *self.group_filters[:-1]]
        self.group_skips = [
            layers.Conv2D(f, 1, name=f"group{g}_skip") if f != p else None
            for g, (f, p) in enumerate(zip(self.group_filters, previous))
        ]
        self.head_bn = generator_batch_norm(bn_epsilon, bn_momentum, "head_bn")
        init = "zeros" if self.input_skip else "glorot_uniform"
        self.head_conv = layers.Conv2D(3, 3, padding="same", kernel_initializer=init, name="head_conv")
        if self.input_skip:
            self.skip_upsample = BicubicUpsampling(self.scale, name="skip_upsample")
            self.head_tanh = InputSkip(name="head_skip")
        else:
            self.head_tanh = layers.Activation("tanh", dtype="float32", name="head_tanh")

    @property
    def scale(self) -> int:
        return 2 ** (len(self.group_filters) - 1)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) != 4 or input_shape[-1] != 3:
            raise ValueError(f"LowToHighGenerator expects RGB faces of shape (B, H, W, 3), got {tuple(input_shape)}")
        self.call(keras.KerasTensor(tuple(input_shape), dtype=self.compute_dtype))
        self.built = True

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        x = self.stem(inputs)
        for g, (blocks, skip) in enumerate(zip(self.groups, self.group_skips)):
            if g > 0:
                x = self.upsamplers[g - 1](x)
            group_input = x
            for block in blocks:
                x = block(x, training=training)
            x = x + (group_input if skip is None else skip(group_input))
        x = self.head_conv(ops.relu(self.head_bn(x, training=training)))
        if self.input_skip:
            return self.head_tanh((self.skip_upsample(inputs), x))
        return self.head_tanh(x)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        b, h, w, _ = input_shape
        s = self.scale
        return (b, None if h is None else h * s, None if w is None else w * s, 3)

    def get_config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "trainable": self.trainable,
            "group_filters": self.group_filters,
            "group_blocks": self.group_blocks,
            "align_corners": self.align_corners,
            "bn_epsilon": self.bn_epsilon,
            "bn_momentum": self.bn_momentum,
            "input_skip": self.input_skip,
        }
