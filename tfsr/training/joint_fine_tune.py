"""Stage 3: both GANs fine-tuned together, end to end (paper sec. 3.6)."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from tfsr.training.degradation_gan import degrade_and_anchor
from tfsr.training.losses import average_downsample
from tfsr.training.stage_gan import Branch, StageGAN

NOISE_STREAM = 3


class JointFineTune(StageGAN):
    """High-to-Low then Low-to-High, each with its discriminator, trained as one network.

    Trained on batches `(hr, lr_real)`: `lr_fake = H2L(hr, z)` is judged by the 16x16 discriminator against
    real low-resolution faces (pixel target `AvgPool4x4(hr)`), and `sr = L2H(lr_fake)` by the 64x64
    discriminator against `hr` (pixel target `hr`). The Low-to-High losses flow back through `lr_fake` into
    the High-to-Low generator. One generator update minimises the sum of both generators' losses; each
    discriminator update updates both discriminators on the same slice. Metrics are sums over the two GANs
    (`d_real`/`d_fake`: means).

    Args:
        high_to_low: the trained High-to-Low generator (fine-tuned).
        low_to_high: the trained Low-to-High generator (fine-tuned).
        discriminator_16: the High-to-Low GAN's discriminator.
        discriminator_64: the Low-to-High GAN's discriminator.
        **kwargs: `StageGAN` arguments (n_critic, alpha, beta, ema_decay, seed).

    Example:
        >>> gan = JointFineTune(h2l, l2h, build_discriminator(m, 16), build_discriminator(m, 64))  # doctest: +SKIP
    """

    def __init__(
        self,
        high_to_low: keras.Model,
        low_to_high: keras.Model,
        discriminator_16: keras.Model,
        discriminator_64: keras.Model,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("name", "joint_fine_tune")
        prior = getattr(high_to_low, "prior", None)
        if prior is not None:
            # The degradation levels stay those that stage 1 learned against real LR faces: here Low-to-High's
            # losses reach them through lr_fake and would lower every blur and noise level (a cleaner input is
            # easier to restore), teaching Low-to-High a camera that does not exist.
            prior.trainable = False
        super().__init__(
            {"high_to_low": high_to_low, "low_to_high": low_to_high}, [discriminator_16, discriminator_64], **kwargs
        )
        self.high_to_low = high_to_low
        self.low_to_high = low_to_high
        self.discriminator_16 = discriminator_16
        self.discriminator_64 = discriminator_64

    def generate(self, data: Any) -> list[Branch]:
        hr, lr_real = data
        z = self.noise(tf.shape(hr)[0], self.high_to_low.noise_dim, NOISE_STREAM)
        lr_fake, anchored = degrade_and_anchor(self.high_to_low, hr, z)
        sr = self.low_to_high(lr_fake, training=True)
        return [
            Branch(self.discriminator_16, lr_real, lr_fake, average_downsample(hr), anchored),
            Branch(self.discriminator_64, hr, sr, hr),
        ]
