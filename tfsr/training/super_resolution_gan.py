"""Stage 2: the Low-to-High GAN (paper sec. 3.4), which learns to super-resolve degraded faces."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from tfsr.data import degrade
from tfsr.training.stage_gan import Branch, StageGAN

NOISE_STREAM = 1
BLUR_STREAM = 2

# training.degradation -> how a batch of HR faces becomes the Low-to-High input (besides `learned`).
FIXED_DEGRADATIONS = ("bilinear", "blur_bilinear")

class SuperResolutionGAN(StageGAN):
    """The Low-to-High generator against the 64x64 discriminator, on paired data made on the fly.

    Trained on batches `hr`: the input is `H2L(hr, z)` from a frozen, trained High-to-Low generator
    (inference mode, fresh noise per image and step), or a fixed degradation of `hr` (the table-1
    baselines); the output is scored against `hr` by the discriminator and by the pixel loss.

    Args:
        low_to_high: the Low-to-High generator (trained).
        discriminator: the 64x64 discriminator.
        degradation: `learned`, `bilinear` or `blur_bilinear`.
        high_to_low: the trained High-to-Low generator for `learned` (frozen here).
        **kwargs: `StageGAN` arguments (n_critic, alpha, beta, ema_decay, seed).

    Example:
        >>> gan = SuperResolutionGAN(build_low_to_high(m), build_discriminator(m, 64), "bilinear")  # doctest: +SKIP
    """

    def __init__(
        self,
        low_to_high: keras.Model,
        discriminator: keras.Model,
        degradation: str = "learned",
        high_to_low: keras.Model | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("name", "super_resolution_gan")
        super().__init__({"low_to_high": low_to_high}, [discriminator], **kwargs)
        if degradation == "learned":
            if high_to_low is None:
                raise ValueError("SuperResolutionGAN: degradation 'learned' needs a trained high_to_low generator")
            high_to_low.trainable = False
        elif degradation not in FIXED_DEGRADATIONS:
            raise ValueError(f"SuperResolutionGAN: unknown degradation {degradation!r}")
        self.degradation = degradation
        self.low_to_high = low_to_high
        self.discriminator = discriminator
        self.high_to_low = high_to_low

    def degrade(self, hr: tf.Tensor) -> tf.Tensor:
        """The Low-to-High input made from this replica's HR faces at this step."""
        if self.degradation == "bilinear":
            return degrade.bilinear(hr, scale=4)
        if self.degradation == "blur_bilinear":
            replica = tf.distribute.get_replica_context().replica_id_in_sync_group
            seed = tf.random.experimental.stateless_fold_in(self.step_seed(BLUR_STREAM), replica)
            return degrade.blur_bilinear(hr, seed, scale=4)
        z = self.noise(tf.shape(hr)[0], self.high_to_low.noise_dim, NOISE_STREAM)
        return tf.stop_gradient(self.high_to_low((hr, z), training=False))

    def generate(self, data: Any) -> list[Branch]:
        hr = data[0] if isinstance(data, (tuple, list)) else data
        fake = self.low_to_high(self.degrade(hr), training=True)
        return [Branch(self.discriminator, hr, fake, hr)]
