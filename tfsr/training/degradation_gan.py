"""Stage 1: the High-to-Low GAN (paper sec. 3.3), which learns to degrade faces the way real cameras do."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from tfsr.training.losses import average_downsample
from tfsr.training.stage_gan import Branch, StageGAN

NOISE_STREAM = 0


class DegradationGAN(StageGAN):
    """The High-to-Low generator against the 16x16 discriminator, on unpaired data.

    Trained on batches `(hr, lr_real)` of unrelated faces: the fake is `H2L(hr, z)` with fresh standard-normal
    noise per image and step; the discriminator tells it from real low-resolution faces; the pixel loss ties
    it to `AvgPool4x4(hr)` so the face's content is kept.

    Args:
        high_to_low: the High-to-Low generator (trained).
        discriminator: the 16x16 discriminator.
        **kwargs: `StageGAN` arguments (n_critic, alpha, beta, ema_decay, seed).

    Example:
        >>> gan = DegradationGAN(build_high_to_low(cfg.model), build_discriminator(cfg.model, 16))  # doctest: +SKIP
        >>> gan.compile(keras.optimizers.Adam(1e-4, 0.0, 0.9), keras.optimizers.Adam(1e-4, 0.0, 0.9))  # doctest: +SKIP
        >>> gan.fit(build_unpaired_dataset(cfg, 320, seed=0), steps_per_epoch=100)  # doctest: +SKIP
    """

    def __init__(self, high_to_low: keras.Model, discriminator: keras.Model, **kwargs: Any) -> None:
        kwargs.setdefault("name", "degradation_gan")
        super().__init__({"high_to_low": high_to_low}, [discriminator], **kwargs)
        self.high_to_low = high_to_low
        self.discriminator = discriminator

    def generate(self, data: Any) -> list[Branch]:
        hr, lr_real = data
        z = self.noise(tf.shape(hr)[0], self.high_to_low.noise_dim, NOISE_STREAM)
        fake, anchored = degrade_and_anchor(self.high_to_low, hr, z)
        return [Branch(self.discriminator, lr_real, fake, average_downsample(hr), anchored)]


def degrade_and_anchor(high_to_low: keras.Model, hr: tf.Tensor, z: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor | None]:
    """High-to-Low's LR faces (training mode) and what its pixel loss anchors: the same network's output
    without its degradation prior when it has one (`Branch.anchored`), else None (the output itself)."""
    if getattr(high_to_low, "prior", None) is not None:
        return high_to_low((hr, z), training=True, undegraded=True)
    return high_to_low((hr, z), training=True), None
