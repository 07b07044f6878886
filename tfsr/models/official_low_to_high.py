"""The authors' released Low-to-High network (`GEN_DEEP` of their test code), rebuilt layer for layer.

It differs from the paper's text (see the design notes): the group skips are `x + group0(x)` and
`group1(x) + a1(x)`, each bilinear x2 (corner-aligned) is followed by BN -> ReLU -> a 1x1 convolution, and
the head is Conv3x3 -> ReLU -> Conv1x1 -> ReLU -> Conv1x1 -> tanh. Attribute names and list positions are
those of the authors' PyTorch modules (`layers_set_final[0][3].bn1` holds `layers_set_final.0.3.bn1.*`), so
loading their `state_dict` is a direct mapping (`tfsr.official.convert`).
"""

from __future__ import annotations

from typing import Any

import keras
from keras import layers

from tfsr.layers.residual import GeneratorResidualBlock, generator_batch_norm
from tfsr.layers.upsampling import BilinearUpsampling

# PyTorch's BatchNorm defaults, which the authors trained with: eps 1e-5, momentum 0.1 (Keras' 0.9).
_BN_EPSILON = 1e-5
_BN_MOMENTUM = 0.9


@keras.saving.register_keras_serializable(package="tfsr")
class OfficialLowToHighGenerator(keras.Model):
    """The authors' released Low-to-High generator: a 16x16 RGB face in [-1, 1] -> a 64x64 face (tanh).

    15,490,403 trainable parameters, as in the released `model.pkl`; 12,384 of them (`a2`, a 1x1 convolution
    128 -> 96) exist in that file but are never used by its forward pass, and are kept only so that every
    key of the file has a home. Fully convolutional: other input sizes work and are upscaled by 4.

    Layout (names as in the authors' code):
        `layers_in`: Conv3x3 3 -> 256, no bias.
        `layers_set_final[0]`: 12 residual blocks 256 -> 256, then `x = x + group(x)`.
        `layers_set_final_up[0]`: bilinear x2 (align_corners) -> BN -> ReLU -> Conv1x1 256 -> 256.
        `layers_set_final[1]`: residual blocks 256 -> 128 -> 128 -> 128, then `x = group(x) + a1[0](x)`.
        `layers_set_final_up[1]`: bilinear x2 (align_corners) -> BN -> ReLU -> Conv1x1 128 -> 128.
        `main`: Conv3x3 128 -> 96 (no bias) -> ReLU -> Conv1x1 96 -> 96 -> ReLU -> Conv1x1 96 -> 3 -> tanh.

    Args:
        **kwargs: `keras.Model` arguments (`name`, `trainable`, `dtype`).

    Example:
        >>> g = OfficialLowToHighGenerator()
        >>> tuple(g(keras.random.uniform((1, 16, 16, 3), -1, 1)).shape)
        (1, 64, 64, 3)
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.layers_in = layers.Conv2D(256, 3, padding="same", use_bias=False, name="layers_in")
        self.layers_set_final = [
            [self._block(256, f"layers_set_final_0_{i}") for i in range(12)],
            [self._block(128, f"layers_set_final_1_{i}") for i in range(3)],
        ]
        # Index positions match the authors' nn.Sequential: 0 upsample, 1 BN, 2 ReLU, 3 ConvTranspose 1x1.
        self.layers_set_final_up = [self._up_stage(256, 0), self._up_stage(128, 1)]
        self.a1 = [layers.Conv2D(128, 1, name="a1_0")]
        self.a2 = [layers.Conv2D(96, 1, name="a2_0")]
        self.main = [
            layers.Conv2D(96, 3, padding="same", use_bias=False, name="main_0"),
            layers.ReLU(name="main_1"),
            layers.Conv2D(96, 1, name="main_2"),
            layers.ReLU(name="main_3"),
            layers.Conv2D(3, 1, name="main_4"),
            layers.Activation("tanh", dtype="float32", name="main_5"),
        ]

    @staticmethod
    def _block(filters: int, name: str) -> GeneratorResidualBlock:
        return GeneratorResidualBlock(filters, bn_epsilon=_BN_EPSILON, bn_momentum=_BN_MOMENTUM, name=name)

    @staticmethod
    def _up_stage(channels: int, index: int) -> list[layers.Layer]:
        prefix = f"layers_set_final_up_{index}"
        return [
            BilinearUpsampling(2, align_corners=True, name=f"{prefix}_0"),
            generator_batch_norm(_BN_EPSILON, _BN_MOMENTUM, f"{prefix}_1"),
            layers.ReLU(name=f"{prefix}_2"),
            layers.Conv2D(channels, 1, name=f"{prefix}_3"),
        ]

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) != 4 or input_shape[-1] != 3:
            raise ValueError(
                f"OfficialLowToHighGenerator expects RGB faces of shape (B, H, W, 3), got {tuple(input_shape)}"
            )
        self.call(keras.KerasTensor(tuple(input_shape), dtype=self.compute_dtype))
        # The forward pass never reaches a2, so only an explicit build gives the file's a2 weights a home.
        self.a2[0].build((*input_shape[:-1], 128))
        self.built = True

    @staticmethod
    def _sequence(stage: list[layers.Layer], x: Any, training: bool | None) -> Any:
        for layer in stage:
            x = layer(x, training=training)  # Keras forwards `training` only to layers whose call takes it
        return x

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        x = self.layers_in(inputs)
        x = x + self._sequence(self.layers_set_final[0], x, training)
        x = self._sequence(self.layers_set_final_up[0], x, training)
        x = self._sequence(self.layers_set_final[1], x, training) + self.a1[0](x)
        x = self._sequence(self.layers_set_final_up[1], x, training)
        return self._sequence(self.main, x, training)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        b, h, w, _ = input_shape
        return (b, None if h is None else h * 4, None if w is None else w * 4, 3)

    def get_config(self) -> dict[str, Any]:
        # No hyper-parameters: the layout is fixed by the weights file. The inherited `from_config` rebuilds
        # from this (it also restores the dtype policy).
        return {**super().get_config(), "name": self.name}
