"""The paper's augmentation of high-resolution faces (sec. 3.6): random flip, scale, rotation, colour jitter.

Everything works on whole batches after `batch()`, which is far cheaper than per-image ops in `map`:
flip, zoom and rotation become one affine warp per image (`ImageProjectiveTransformV3` resamples the
batch once); brightness and contrast are one affine map of the pixels; saturation and hue are one 3x3
colour matrix per image (a scale and a rotation of the chroma plane in YIQ space).

Randomness is stateless and keyed by a `[2]` int seed, so the same seed gives the same batch on every run
and every device.

Example:
    >>> batch = augment_batch(crops_uint8, seed=tf.constant([7, 0]), cfg=AugmentConfig(), size=64)
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from tfsr.config import AugmentConfig

_RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], np.float32)
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ).astype(np.float32)


def augment_batch(images: tf.Tensor, seed: tf.Tensor, cfg: AugmentConfig, size: int) -> tf.Tensor:
    """Augments a batch of uint8 crops and maps it to float32 in [-1, 1].

    Args:
        images: `[B, S, S, 3]` uint8 crops.
        seed: `[2]` int32/int64 seed of every random draw of this batch.
        cfg: which augmentations, and how strong.
        size: output side (the crops are resampled once to it).

    Returns:
        `[B, size, size, 3]` float32 in [-1, 1].
    """
    x = tf.cast(images, tf.float32) * (1.0 / 255.0)
    geo_seed, colour_seed = tf.unstack(tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 2))
    if cfg.flip or cfg.scale > 0 or cfg.rotation > 0:
        x = affine_warp(x, geo_seed, cfg, size)
    elif x.shape[1] != size:
        x = tf.image.resize(x, [size, size], method="area")
    if cfg.brightness > 0 or cfg.contrast > 0 or cfg.saturation > 0 or cfg.hue > 0:
        x = colour_jitter(x, colour_seed, cfg)
    return tf.clip_by_value(x, 0.0, 1.0) * 2.0 - 1.0


def to_unit_range(images: tf.Tensor, size: int) -> tf.Tensor:
    """Un-augmented uint8 crops to float32 in [-1, 1] at `size` x `size` (area resize if needed)."""
    x = tf.cast(images, tf.float32)
    if x.shape[1] != size:
        x = tf.image.resize(x, [size, size], method="area")
    return x * (2.0 / 255.0) - 1.0


def random_flip(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Mirrors each image of a batch left-right with probability 1/2."""
    flip = tf.random.stateless_uniform([tf.shape(images)[0], 1, 1, 1], tf.cast(seed, tf.int64)) < 0.5
    return tf.where(flip, tf.reverse(images, axis=[2]), images)


def affine_warp(x: tf.Tensor, seed: tf.Tensor, cfg: AugmentConfig, size: int) -> tf.Tensor:
    """Random flip + zoom + rotation about the centre, resampled once (bilinear; edge pixels repeat
    outside the crop, as in `crop_square`, and cost half of what mirroring does)."""
    b = tf.shape(x)[0]
    s_in = x.shape[1] if x.shape[1] is not None else tf.shape(x)[1]
    flip_seed, zoom_seed, angle_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 3))
    ones = tf.ones([b])
    sign = tf.where(tf.random.stateless_uniform([b], flip_seed) < 0.5, -ones, ones) if cfg.flip else ones
    zoom = tf.random.stateless_uniform([b], zoom_seed, 1.0 - cfg.scale, 1.0 + cfg.scale)
    angle = tf.random.stateless_uniform([b], angle_seed, -cfg.rotation, cfg.rotation) * (math.pi / 180.0)
    # Output pixel p maps to input pixel A (p - c_out) + c_in: zoom > 1 magnifies, and the crop->output
    # scale folds the single resize into the same warp.
    ratio = tf.cast(s_in, tf.float32) / float(size) / zoom
    cos, sin = tf.cos(angle) * ratio, tf.sin(angle) * ratio
    a00, a01, a10, a11 = cos * sign, -sin, sin * sign, cos
    c_out = (size - 1) / 2.0
    c_in = (tf.cast(s_in, tf.float32) - 1.0) / 2.0
    zeros = tf.zeros([b])
    transforms = tf.stack(
        [a00, a01, c_in - (a00 + a01) * c_out, a10, a11, c_in - (a10 + a11) * c_out, zeros, zeros], axis=1
    )
    return tf.raw_ops.ImageProjectiveTransformV3(
        images=x,
        transforms=transforms,
        output_shape=tf.constant([size, size], tf.int32),
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="NEAREST",
    )


def colour_jitter(x: tf.Tensor, seed: tf.Tensor, cfg: AugmentConfig) -> tf.Tensor:
    """Random brightness, contrast, saturation and hue of images in [0, 1] (not clipped)."""
    b = tf.shape(x)[0]
    s_bright, s_contrast, s_sat, s_hue = tf.unstack(tf.random.experimental.stateless_split(seed, 4))
    bright = tf.random.stateless_uniform([b, 1, 1, 1], s_bright, -cfg.brightness, cfg.brightness)
    contrast = tf.random.stateless_uniform([b, 1, 1, 1], s_contrast, 1.0 - cfg.contrast, 1.0 + cfg.contrast)
    mean = tf.reduce_mean(x, axis=[1, 2], keepdims=True)
    x = (x - mean) * contrast + mean + bright
    if cfg.saturation <= 0 and cfg.hue <= 0:
        return x
    sat = tf.random.stateless_uniform([b], s_sat, 1.0 - cfg.saturation, 1.0 + cfg.saturation)
    theta = tf.random.stateless_uniform([b], s_hue, -cfg.hue, cfg.hue) * (2.0 * math.pi)
    cos, sin = tf.cos(theta) * sat, tf.sin(theta) * sat
    one, zero = tf.ones([b]), tf.zeros([b])
    chroma = tf.reshape(tf.stack([one, zero, zero, zero, cos, -sin, zero, sin, cos], axis=1), [b, 3, 3])
    matrix = tf.einsum("ij,bjk,kl->bil", _YIQ_TO_RGB, chroma, _RGB_TO_YIQ)
    return tf.einsum("bhwc,bdc->bhwd", x, matrix)
