"""An explicit blur and sensor-noise model inside High-to-Low (a tfsr deviation from the paper, off there)."""

from __future__ import annotations

import math
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfsr.layers.input_skip import InputSkip

# Blur widths of the bank (standard deviations in HR pixels). A convex mix of Gaussians is itself a blur
# kernel, so the mix spans everything from none to a 3-pixel blur (0.75 LR pixels), which covers the optical
# and motion blur of faces a few tens of pixels tall.
SIGMAS = (0.0, 0.6, 1.2, 1.8, 2.4, 3.0)
_RADIUS = 9  # 3 sigma of the widest blur
# Sharpening (an unsharp mask: the face plus `amount` times its difference from the widest blur) is the
# opposite of blur that phones and web pipelines apply; `amount` runs from 0 to _MAX_SHARPEN.
_MAX_SHARPEN = 2.0
# The parameters are read through `gain * (Dense(z))`: an optimizer moves each weight by about its learning
# rate per update, and a few hundred updates must be able to move a logit by several units.
_GAIN = 10.0
# Three sinusoids of scaled random projections of z: a projection has a standard deviation of about
# 4 * _FREQUENCY radians, so its phase is uniform and two pixels' phases are independent for practical
# purposes; the sum of three arcsine-distributed values is close to normal. A larger frequency would make
# float32 rounding of the projection visible in the noise (the same z would give different noise in
# batches of different sizes).
_PHASES = 3
_FREQUENCY = 10.0


def gaussian_taps(sigma: float, radius: int = _RADIUS) -> np.ndarray:
    """A normalised 1-D Gaussian of `2 * radius + 1` taps (a unit impulse for sigma 0)."""
    offsets = np.arange(-radius, radius + 1, dtype=np.float64)
    taps = (offsets == 0).astype(np.float64) if sigma == 0.0 else np.exp(-0.5 * (offsets / sigma) ** 2)
    return taps / taps.sum()


def _pooled_blur_bank(sigmas: tuple[float, ...], scale: int, radius: int) -> np.ndarray:
    """1-D kernels `(taps, n)` of "blur, then average `scale` pixels": applied with stride `scale` (as 2-D
    outer products), they give AvgPool(blur(x)) directly, 10x fewer multiplications than blurring at full
    resolution first."""
    box = np.full(scale, 1.0 / scale)
    return np.stack([np.convolve(gaussian_taps(s, radius), box) for s in sigmas], -1).astype(np.float32)


@keras.saving.register_keras_serializable(package="tfsr")
class DegradationPrior(keras.layers.Layer):
    """The blur and noise a camera adds, with parameters drawn from the noise vector and learnt by the GAN.

    The paper's High-to-Low must build blur and sensor noise out of convolutions, and its only source of
    randomness is a global vector z: measured on a few hundred real LR faces it stays near AvgPool4(HR) and
    adds a periodic dot pattern instead of noise, and the Low-to-High trained on its pairs then sharpens the
    noise of real faces. This layer gives it the two degradations explicitly, so the adversarial loss only
    has to find how much of each the real faces show:

    - `blurred_base(hr, z)`: `AvgPool4` of the face blurred by a per-image mix of Gaussians (`SIGMAS`), the
      mix's weights a softmax of a linear function of z (zero-initialised: no blur at the start), then
      sharpened by an unsharp mask of z-drawn amount (0 to 2, near 0 at the start): the bank's widest blur
      subtracted, so real faces that a camera or web page sharpened (halos at edges) can be matched too,
      not only blurred ones;
    - `add_noise(lr, z)`: per-pixel noise, a luminance part (the same in R, G, B) and a chroma part (each
      channel its own), each with a standard deviation `max_noise * sigmoid(...)` of z (near 0 at the start).

    Called on `(hr, z, residual)`, it is High-to-Low's head: the network's correction `residual` is applied
    to the blurred base through `InputSkip`, then the noise is added.

    The noise image is a fixed function of z (sinusoids of high-frequency projections), not a random draw:
    the generator stays a pure function of `(hr, z)`, so sample sheets, resumes and replicas repeat exactly.

    Args:
        scale: the downsampling factor (4).
        max_noise: the largest standard deviation of each noise part, in [-1, 1] units (0.1 = 12.75 / 255).
        seed: seed of the fixed projections that make the noise image.

    Example:
        >>> prior = DegradationPrior()
        >>> hr, z = tf.zeros((2, 64, 64, 3)), tf.random.normal((2, 16))
        >>> tuple(prior((hr, z, tf.zeros((2, 16, 16, 3)))).shape)
        (2, 16, 16, 3)
    """

    def __init__(self, scale: int = 4, max_noise: float = 0.1, seed: int = 1234, **kwargs: Any) -> None:
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.scale = int(scale)
        self.max_noise = float(max_noise)
        self.seed = int(seed)
        bank = _pooled_blur_bank(SIGMAS, self.scale, _RADIUS)  # (taps, n)
        # Each channel into n blurred-and-pooled copies (channel c*n + i holds blur i of channel c).
        kernels = np.einsum("ui,vi->uvi", bank, bank)[:, :, None, :]  # (taps, taps, 1, n)
        self._bank = tf.constant(np.tile(kernels, (1, 1, 3, 1)))
        # Logits of the blur mix, then the two noise levels, then the sharpening amount. The bias starts the
        # mix at "no blur" (weight 0.98) and both noise levels at a quarter of max_noise: at zero noise the
        # adversarial gradient of a noise level is zero on average (the discriminator's first-order response
        # to zero-mean noise), so a level must start where its effect on the discriminator's curvature shows.
        # Sharpening is deterministic, its first-order gradient is not zero: it starts near none (0.03).
        bias = np.zeros(len(SIGMAS) + 3, np.float32)
        bias[0] = 6.0 / _GAIN
        bias[len(SIGMAS) : len(SIGMAS) + 2] = -1.1 / _GAIN
        bias[len(SIGMAS) + 2] = math.log(0.03 / (_MAX_SHARPEN - 0.03)) / _GAIN
        self.parameters = keras.layers.Dense(
            len(SIGMAS) + 3,
            kernel_initializer="zeros",
            bias_initializer=keras.initializers.Constant(bias),
            dtype="float32",
            name="parameters",
        )
        self.skip = InputSkip(name="skip")

    def build(self, input_shape: Any) -> None:
        hr_shape, z_shape = input_shape[:2]
        self.parameters.build((None, int(z_shape[-1])))
        self._lr_shape = (int(hr_shape[1]) // self.scale, int(hr_shape[2]) // self.scale)
        pixels = self._lr_shape[0] * self._lr_shape[1]
        rng = np.random.default_rng(self.seed)
        # Fixed, not trained (and rebuilt from the seed on load, so not saved either).
        self._projection = tf.constant(rng.standard_normal((_PHASES, int(z_shape[-1]), pixels * 4)).astype(np.float32))
        self._phase = tf.constant(rng.uniform(0, 2 * math.pi, (_PHASES, pixels * 4)).astype(np.float32))
        self.built = True

    def _levels(self, z: Any) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """Per image: the blur mix `(B, n)`, the two noise levels `(B, 2)`, the sharpening amount `(B,)`."""
        logits = _GAIN * self.parameters(tf.cast(z, tf.float32))
        n = len(SIGMAS)
        mix = tf.nn.softmax(logits[:, :n], axis=-1)
        noise = self.max_noise * tf.sigmoid(logits[:, n : n + 2])
        sharpen = _MAX_SHARPEN * tf.sigmoid(logits[:, n + 2])
        return mix, noise, sharpen

    def blurred_base(self, hr: Any, z: Any) -> tf.Tensor:
        """`AvgPool4(mix(z) * Gaussians(hr))`, plus `sharpen(z)` times `AvgPool4(hr - widest(hr))`:
        `(B, H/4, W/4, 3)` float32."""
        mix, _, sharpen = self._levels(z)
        hr = tf.cast(hr, tf.float32)
        # Reflect-pad so that the blur does not darken the border.
        padded = tf.pad(hr, [[0, 0], [_RADIUS, _RADIUS], [_RADIUS, _RADIUS], [0, 0]], mode="REFLECT")
        pooled = tf.nn.depthwise_conv2d(padded, self._bank, [1, self.scale, self.scale, 1], "VALID")  # (B, H/4, W/4, 3n)
        shape = tf.shape(pooled)
        pooled = tf.reshape(pooled, (shape[0], shape[1], shape[2], 3, len(SIGMAS)))
        blurred = tf.reduce_sum(pooled * mix[:, None, None, None, :], axis=-1)
        # The unsharp mask reuses the bank: "no blur" minus "widest blur", both already pooled.
        return blurred + sharpen[:, None, None, None] * (pooled[..., 0] - pooled[..., -1])

    def noise_image(self, z: Any) -> tf.Tensor:
        """The standard-normal-like noise of each z: `(B, h, w, 4)` (one luminance and three chroma maps)."""
        z = tf.cast(z, tf.float32)
        angles = _FREQUENCY * tf.einsum("bd,pdk->bpk", z, self._projection) + self._phase[None]
        values = tf.reduce_sum(tf.sin(angles), axis=1) * math.sqrt(2.0 / _PHASES)
        return tf.reshape(values, (-1, self._lr_shape[0], self._lr_shape[1], 4))

    def add_noise(self, lr: Any, z: Any) -> tf.Tensor:
        """`lr` plus z's luminance and chroma noise at z's levels, clipped to [-1, 1]."""
        _, noise, _ = self._levels(z)
        image = self.noise_image(z)
        luminance = image[..., :1] * noise[:, None, None, :1]
        chroma = image[..., 1:] * noise[:, None, None, 1:]
        return tf.clip_by_value(tf.cast(lr, tf.float32) + luminance + chroma, -1.0, 1.0)

    def call(self, inputs: Any) -> Any:
        """`add_noise(InputSkip(blurred_base(hr, z), residual), z)` for `(hr, z, residual)`: High-to-Low's
        head, the network's correction `residual` `(B, H/4, W/4, 3)` applied to the blurred base."""
        hr, z, residual = inputs
        return self.add_noise(self.skip((self.blurred_base(hr, z), residual)), z)

    def undegraded(self, hr: Any, residual: Any) -> tf.Tensor:
        """`InputSkip(AvgPool4(hr), residual)`: the head's output without this prior's blur and noise."""
        # Keras ops, not tf.nn: the generator also calls this on symbolic tensors when it builds.
        base = keras.ops.average_pool(keras.ops.cast(hr, "float32"), self.scale, self.scale, "valid")
        return self.skip((base, residual))

    def levels(self, z: Any) -> dict[str, np.ndarray]:
        """The blur mix, noise levels and sharpening that `z` draws, as numbers (for logs and tests)."""
        mix, noise, sharpen = self._levels(z)
        sigma = tf.reduce_sum(mix * tf.constant(SIGMAS, tf.float32), axis=-1)
        return {"mean_blur_sigma": sigma.numpy(), "luminance_noise": noise[:, 0].numpy(),
                "chroma_noise": noise[:, 1].numpy(), "sharpen": sharpen.numpy()}

    def compute_output_shape(self, input_shape: Any) -> Any:
        hr_shape = input_shape[0]
        return (hr_shape[0], hr_shape[1] // self.scale, hr_shape[2] // self.scale, 3)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(scale=self.scale, max_noise=self.max_noise, seed=self.seed)
        return config
