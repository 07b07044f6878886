"""Hand-made image degradations: the table-1 baselines and harder synthetic ones.

Every op takes a batch `[B, H, W, 3]` float in [-1, 1] and returns one in [-1, 1]. The downscaling ops
shrink by `scale` (4: 64x64 -> 16x16). Random ops take `seed`, a `[2]` int tensor (or an int), and draw
with `tf.random.stateless_*`, so a training step keyed by its step number degrades the same way on every
run and every replica.

- `bilinear`: the paper's baseline (a): plain bilinear sampling, no anti-aliasing.
- `bicubic`: anti-aliased bicubic (what MATLAB's `imresize` does), the usual super-resolution setting.
- `blur_bilinear`: baseline (b): Gaussian blur with a random kernel size of 2-6 px, then `bilinear`.
- `gaussian_blur`, `sensor_noise`, `jpeg`, `colour_shift`: single random degradations, size kept.
- `high_order`: two rounds of blur -> random resize -> noise -> JPEG, then the final resize and JPEG
  (the Real-ESRGAN recipe of a second-order degradation model).
- `camera`: a small sensor: lens blur -> area downscaling -> read and shot noise -> white balance -> JPEG.
- `web`: a photo shrunk and re-saved twice on its way through the web: bicubic x1/2 -> JPEG -> bilinear
  x1/2 without anti-aliasing -> a harsher JPEG.

Example:
    >>> lr = degrade.bilinear(hr, scale=4)
    >>> lr = degrade.blur_bilinear(hr, seed=tf.constant([0, step]), scale=4)
"""

from __future__ import annotations

import math

import tensorflow as tf

Seed = tf.Tensor | int | tuple[int, int]
_MAX_RADIUS = 6  # support of the blur kernels: 13x13 covers 3 sigma of the widest blur


def _seed(seed: Seed) -> tf.Tensor:
    seed = tf.convert_to_tensor(seed)
    if seed.shape.rank == 0:
        seed = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
    return tf.cast(seed, tf.int64)


def _split(seed: Seed, n: int) -> list[tf.Tensor]:
    return tf.unstack(tf.random.experimental.stateless_split(_seed(seed), n))


def _to01(x: tf.Tensor) -> tf.Tensor:
    return (tf.cast(x, tf.float32) + 1.0) * 0.5


def _from01(x: tf.Tensor) -> tf.Tensor:
    return tf.clip_by_value(x, 0.0, 1.0) * 2.0 - 1.0


def _lr_shape(images: tf.Tensor, scale: int) -> tf.Tensor:
    return tf.shape(images)[1:3] // scale


def bilinear(images: tf.Tensor, scale: int = 4) -> tf.Tensor:
    """Bilinear downscaling by `scale` without anti-aliasing (the paper's 'bilinear' LR images)."""
    return tf.clip_by_value(tf.image.resize(images, _lr_shape(images, scale), "bilinear"), -1.0, 1.0)


def bicubic(images: tf.Tensor, scale: int = 4) -> tf.Tensor:
    """Anti-aliased bicubic downscaling by `scale`."""
    out = tf.image.resize(images, _lr_shape(images, scale), "bicubic", antialias=True)
    return tf.clip_by_value(out, -1.0, 1.0)


def gaussian_blur(images: tf.Tensor, seed: Seed, kernel_range: tuple[float, float] = (2.0, 6.0)) -> tf.Tensor:
    """Blurs each image with its own Gaussian whose kernel size `k` is uniform in `kernel_range` (pixels).

    A kernel of size `k` has sigma `k / 3`, so the `k`-pixel window holds +-1.5 sigma.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    b = tf.shape(images)[0]
    k = tf.random.stateless_uniform([b], _seed(seed), kernel_range[0], kernel_range[1])
    return _blur(images, k / 3.0)


def _blur(images: tf.Tensor, sigma: tf.Tensor) -> tf.Tensor:
    """Per-image Gaussian blur: the batch is folded into channels so one depthwise conv blurs it all."""
    b, h, w = tf.shape(images)[0], tf.shape(images)[1], tf.shape(images)[2]
    r = tf.range(-_MAX_RADIUS, _MAX_RADIUS + 1, dtype=tf.float32)
    taps = tf.exp(-(r[None, :] ** 2) / (2.0 * tf.maximum(sigma, 1e-3)[:, None] ** 2))
    taps = taps / tf.reduce_sum(taps, axis=1, keepdims=True)  # [B, K]
    # Separable: rows then columns; channels ordered (image, colour).
    taps = tf.repeat(taps, 3, axis=0)  # [B*3, K]
    x = tf.reshape(tf.transpose(images, [1, 2, 0, 3]), [1, h, w, b * 3])
    pad = [[0, 0], [_MAX_RADIUS, _MAX_RADIUS], [_MAX_RADIUS, _MAX_RADIUS], [0, 0]]
    x = tf.pad(x, pad, mode="REFLECT")
    horizontal = tf.transpose(taps)[None, :, :, None]  # [1, K, B*3, 1]
    vertical = tf.transpose(taps)[:, None, :, None]  # [K, 1, B*3, 1]
    x = tf.nn.depthwise_conv2d(x, horizontal, [1, 1, 1, 1], "VALID")
    x = tf.nn.depthwise_conv2d(x, vertical, [1, 1, 1, 1], "VALID")
    return tf.transpose(tf.reshape(x, [h, w, b, 3]), [2, 0, 1, 3])


def blur_bilinear(
    images: tf.Tensor, seed: Seed, scale: int = 4, kernel_range: tuple[float, float] = (2.0, 6.0)
) -> tf.Tensor:
    """The paper's baseline (b): random Gaussian blur (kernel 2-6 px), then bilinear downscaling."""
    return bilinear(gaussian_blur(images, seed, kernel_range), scale)


def sensor_noise(
    images: tf.Tensor,
    seed: Seed,
    read_sigma: tuple[float, float] = (1.0, 20.0),
    shot_gain: tuple[float, float] = (0.0, 0.02),
    gray_probability: float = 0.4,
) -> tf.Tensor:
    """Adds camera-like noise: Gaussian read noise (sigma in 8-bit levels) plus signal-dependent shot noise.

    With probability `gray_probability` an image's noise is the same in all channels (luminance noise).
    """
    images = tf.convert_to_tensor(images, tf.float32)
    s_read, s_gain, s_gray, s_noise = _split(seed, 4)
    b = tf.shape(images)[0]
    sigma = tf.random.stateless_uniform([b, 1, 1, 1], s_read, read_sigma[0], read_sigma[1]) / 255.0
    gain = tf.random.stateless_uniform([b, 1, 1, 1], s_gain, shot_gain[0], shot_gain[1])
    x = _to01(images)
    std = tf.sqrt(sigma**2 + gain * x)
    colour = tf.random.stateless_normal(tf.shape(x), s_noise)
    gray = tf.random.stateless_uniform([b, 1, 1, 1], s_gray) < gray_probability
    noise = tf.where(gray, tf.broadcast_to(colour[..., :1], tf.shape(x)), colour)
    return _from01(x + noise * std)


def jpeg(images: tf.Tensor, seed: Seed, quality_range: tuple[int, int] = (30, 95)) -> tf.Tensor:
    """JPEG-compresses each image at its own random quality (inclusive range)."""
    images = tf.convert_to_tensor(images, tf.float32)
    b = tf.shape(images)[0]
    quality = tf.random.stateless_uniform([b], _seed(seed), quality_range[0], quality_range[1] + 1, tf.int32)
    x = tf.clip_by_value(_to01(images), 0.0, 1.0)
    out = tf.map_fn(
        lambda args: tf.image.adjust_jpeg_quality(args[0], args[1]),
        (x, quality),
        fn_output_signature=tf.TensorSpec([None, None, 3], tf.float32),
    )
    return _from01(tf.reshape(out, tf.shape(images)))


def colour_shift(images: tf.Tensor, seed: Seed, max_gain: float = 0.1, max_offset: float = 0.05) -> tf.Tensor:
    """Random per-channel gain and offset of each image (white balance and black level errors)."""
    images = tf.convert_to_tensor(images, tf.float32)
    s_gain, s_offset = _split(seed, 2)
    b = tf.shape(images)[0]
    gain = tf.random.stateless_uniform([b, 1, 1, 3], s_gain, 1.0 - max_gain, 1.0 + max_gain)
    offset = tf.random.stateless_uniform([b, 1, 1, 3], s_offset, -max_offset, max_offset)
    return _from01(_to01(images) * gain + offset)


def _resize_random_method(images: tf.Tensor, hw: tf.Tensor, seed: Seed) -> tf.Tensor:
    """Resizes to `hw` with bilinear, bicubic or area interpolation, chosen at random."""
    method = tf.random.stateless_uniform([], _seed(seed), 0, 3, tf.int32)
    return tf.switch_case(
        method,
        [
            lambda: tf.image.resize(images, hw, "bilinear"),
            lambda: tf.image.resize(images, hw, "bicubic", antialias=True),
            lambda: tf.image.resize(images, hw, "area"),
        ],
    )


def _random_resize(images: tf.Tensor, seed: Seed, size_range: tuple[float, float]) -> tf.Tensor:
    """Resizes the whole batch by one random factor with a random interpolation."""
    s_factor, s_method = _split(seed, 2)
    factor = tf.random.stateless_uniform([], s_factor, size_range[0], size_range[1])
    hw = tf.maximum(tf.cast(tf.round(tf.cast(tf.shape(images)[1:3], tf.float32) * factor), tf.int32), 1)
    return _resize_random_method(images, hw, s_method)


def high_order(images: tf.Tensor, seed: Seed, scale: int = 4) -> tf.Tensor:
    """A random second-order chain: (blur -> resize -> noise -> JPEG) twice, then down to 1/`scale`.

    The first round resizes by 0.5-1.5x and the second by 0.6-1.2x of the current size; the final resize
    (random interpolation) reaches exactly `H / scale` x `W / scale`, followed by one more JPEG.
    """
    images = tf.convert_to_tensor(images, tf.float32)
    seeds = _split(seed, 10)
    target = _lr_shape(images, scale)
    x = images
    for k, size_range in enumerate([(0.5, 1.5), (0.6, 1.2)]):
        s = seeds[4 * k : 4 * k + 4]
        b = tf.shape(x)[0]
        sigma = tf.random.stateless_uniform([b], s[0], 0.2, 2.0 if k == 0 else 1.2)
        x = _blur(x, sigma)
        x = tf.clip_by_value(_random_resize(x, s[1], size_range), -1.0, 1.0)
        x = sensor_noise(x, s[2], read_sigma=(1.0, 25.0 if k == 0 else 15.0))
        x = jpeg(x, s[3], (30, 95))
    x = _resize_random_method(x, target, seeds[8])
    return jpeg(tf.clip_by_value(x, -1.0, 1.0), seeds[9], (30, 95))


def camera(images: tf.Tensor, seed: Seed, scale: int = 4) -> tf.Tensor:
    """A small sensor: lens blur (sigma 0.3-1.5 px), area downscaling by `scale`, read noise of 2-15 levels
    plus shot noise, a white-balance error, JPEG at quality 60-95."""
    images = tf.convert_to_tensor(images, tf.float32)
    s = _split(seed, 4)
    sigma = tf.random.stateless_uniform([tf.shape(images)[0]], s[0], 0.3, 1.5)
    x = tf.image.resize(_blur(images, sigma), _lr_shape(images, scale), "area")
    x = sensor_noise(x, s[1], read_sigma=(2.0, 15.0), shot_gain=(0.0, 0.01))
    return jpeg(colour_shift(x, s[2], 0.05, 0.03), s[3], (60, 95))


def web(images: tf.Tensor, seed: Seed, scale: int = 4) -> tf.Tensor:
    """Shrunk and re-saved twice: anti-aliased bicubic to 2/`scale` of the size, JPEG 40-80, bilinear
    without anti-aliasing to 1/`scale`, JPEG 25-60."""
    images = tf.convert_to_tensor(images, tf.float32)
    s = _split(seed, 2)
    half = tf.shape(images)[1:3] * 2 // scale
    x = jpeg(tf.clip_by_value(tf.image.resize(images, half, "bicubic", antialias=True), -1.0, 1.0), s[0], (40, 80))
    return jpeg(bilinear(x, 2), s[1], (25, 60))


DEGRADATIONS = {
    "bilinear": lambda images, seed, scale=4: bilinear(images, scale),
    "bicubic": lambda images, seed, scale=4: bicubic(images, scale),
    "blur_bilinear": blur_bilinear,
    "high_order": high_order,
    "camera": camera,
    "web": web,
}
"""Downscaling degradations by name, all called as `fn(images, seed, scale)`."""


def degrade_each(images: tf.Tensor, name: str, seed: int, scale: int = 4) -> tf.Tensor:
    """`images` through the degradation `name`, with a chain drawn for each image (seed `(seed, i)`).

    A batch call of `high_order` draws one resize factor and method for the whole batch; a camera does not
    degrade every photo alike, so sets meant to stand for real low-quality faces are made one image at a time.
    """
    fn = DEGRADATIONS[name]
    images = tf.convert_to_tensor(images, tf.float32)
    return tf.concat([fn(images[i : i + 1], tf.constant([seed, i], tf.int64), scale) for i in range(len(images))], 0)

__all__ = [
    "DEGRADATIONS",
    "degrade_each",
    "bicubic",
    "bilinear",
    "blur_bilinear",
    "camera",
    "colour_shift",
    "gaussian_blur",
    "high_order",
    "jpeg",
    "sensor_noise",
    "web",
]
