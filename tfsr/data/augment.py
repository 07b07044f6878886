"""The paper's augmentation of high-resolution faces (sec. 3.6): random flip, scale, rotation, colour jitter.

Split in two so that it is both reproducible and fast:

- `draw` makes every random number of a batch in TensorFlow, statelessly from a `[2]` int seed, so the
  same seed gives the same batch on every run and every device;
- `finish` applies them per image with OpenCV inside one `tf.numpy_function` call per batch: flip, zoom
  and rotation are one bilinear `warpAffine` straight from the decoded crop (whatever its side) to the
  output size, so the resize to the training size costs nothing extra; brightness, contrast, saturation,
  hue and the mapping to [-1, 1] are one 3x4 colour matrix (`cv2.transform`). Both are SIMD loops that
  release the GIL; in isolation TensorFlow's `ImageProjectiveTransformV3` plus a batched colour matmul
  take ~4x their CPU time (about 235 vs 55 us per 64x64 image).

Example:
    >>> batch = augment_batch(crops_uint8, seed=tf.constant([7, 0]), cfg=AugmentConfig(), size=64)
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple, Sequence

import cv2
import numpy as np
import tensorflow as tf

from tfsr.config import AugmentConfig

_RGB_TO_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]], np.float32)
_YIQ_TO_RGB = np.linalg.inv(_RGB_TO_YIQ).astype(np.float32)
# Crops this much larger than the output should be area-shrunk before the bilinear warp, which would alias.
MAX_WARP_RATIO = 1.5


class Draw(NamedTuple):
    """The random numbers of one batch (each `[B]`, `chroma` `[B, 3, 3]`), as tensors or numpy arrays.

    Args:
        sign: -1 mirrors the image left-right, 1 keeps it.
        zoom: > 1 magnifies.
        angle: rotation in radians.
        bright: brightness offset in [0, 1] units.
        contrast: contrast factor about the image's mean colour.
        chroma: RGB -> RGB matrix of the saturation and hue change.
    """

    sign: tf.Tensor
    zoom: tf.Tensor
    angle: tf.Tensor
    bright: tf.Tensor
    contrast: tf.Tensor
    chroma: tf.Tensor


def draw(seed: tf.Tensor, batch: int | tf.Tensor, cfg: AugmentConfig) -> Draw:
    """Every random number of a batch, from a `[2]` int seed; disabled augmentations draw identities."""
    geo_seed, colour_seed = tf.unstack(tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), 2))
    flip_seed, zoom_seed, angle_seed = tf.unstack(tf.random.experimental.stateless_split(geo_seed, 3))
    s_bright, s_contrast, s_sat, s_hue = tf.unstack(tf.random.experimental.stateless_split(colour_seed, 4))
    ones = tf.ones([batch])
    sign = tf.where(tf.random.stateless_uniform([batch], flip_seed) < 0.5, -ones, ones) if cfg.flip else ones
    zoom = tf.random.stateless_uniform([batch], zoom_seed, 1.0 - cfg.scale, 1.0 + cfg.scale)
    angle = tf.random.stateless_uniform([batch], angle_seed, -cfg.rotation, cfg.rotation) * (math.pi / 180.0)
    bright = tf.random.stateless_uniform([batch], s_bright, -cfg.brightness, cfg.brightness)
    contrast = tf.random.stateless_uniform([batch], s_contrast, 1.0 - cfg.contrast, 1.0 + cfg.contrast)
    # Saturation scales and hue rotates the chroma plane (I, Q) of YIQ; Y (luminance) is kept.
    sat = tf.random.stateless_uniform([batch], s_sat, 1.0 - cfg.saturation, 1.0 + cfg.saturation)
    theta = tf.random.stateless_uniform([batch], s_hue, -cfg.hue, cfg.hue) * (2.0 * math.pi)
    cos, sin = tf.cos(theta) * sat, tf.sin(theta) * sat
    one, zero = tf.ones([batch]), tf.zeros([batch])
    plane = tf.reshape(tf.stack([one, zero, zero, zero, cos, -sin, zero, sin, cos], axis=1), [batch, 3, 3])
    chroma = tf.einsum("ij,bjk,kl->bil", _YIQ_TO_RGB, plane, _RGB_TO_YIQ)
    return Draw(sign, zoom, angle, bright, contrast, chroma)


def finish(sources: Sequence[np.ndarray], params: Draw, size: int, resample: bool) -> np.ndarray:
    """Augments uint8 crops and maps them to float32 `[B, size, size, 3]` in [-1, 1] (numpy).

    Args:
        sources: `B` square `[s, s, 3]` uint8 crops; sides other than `size` need `resample`, and are
            best at most `MAX_WARP_RATIO` x `size` (a bilinear warp aliases beyond).
        params: `draw`'s numbers as numpy arrays.
        size: output side.
        resample: warp with zoom and rotation (bilinear); otherwise crops are only mirrored, which keeps
            their pixels exact.
    """
    b = len(sources)
    warped = np.empty((b, size, size, 3), np.uint8)
    sides = np.array([src.shape[0] for src in sources], np.float64)
    matrices = _warp_matrices(sides, size, params) if resample else None
    for k, src in enumerate(sources):
        if resample:
            cv2.warpAffine(
                np.ascontiguousarray(src), matrices[k], (size, size), dst=warped[k],
                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE,
            )
        else:
            warped[k] = src[:, ::-1] if params.sign[k] < 0 else src
    colour = _colour_matrices(warped, params)
    pixels = warped.astype(np.float32)
    out = np.empty_like(pixels)
    for k in range(b):
        cv2.transform(pixels[k], colour[k], dst=out[k])
    return np.clip(out, -1.0, 1.0, out=out)


def _warp_matrices(sides: np.ndarray, size: int, params: Draw) -> np.ndarray:
    """`[B, 2, 3]`: output pixel p -> input pixel A (p - c_out) + c_in about the centres, with the crop ->
    output scale in A, so resizing and augmenting are one resampling."""
    ratio = sides / size / params.zoom
    cos, sin = np.cos(params.angle) * ratio, np.sin(params.angle) * ratio
    a = np.stack([cos * params.sign, -sin, sin * params.sign, cos], axis=1).reshape(-1, 2, 2)
    shift = (sides[:, None] - 1) / 2.0 - a.sum(axis=2) * ((size - 1) / 2.0)
    return np.concatenate([a, shift[:, :, None]], axis=2)


def _colour_matrices(images: np.ndarray, params: Draw) -> np.ndarray:
    """`[B, 3, 4]` matrices taking uint8 RGB to the jittered colour in [-1, 1]: contrast about each image's
    mean colour, brightness, then the chroma matrix, all folded into one affine map."""
    mean = np.array([cv2.mean(image)[:3] for image in images]) / 255.0
    c, chroma = params.contrast.astype(np.float64), params.chroma.astype(np.float64)
    linear = chroma * (2.0 * c / 255.0)[:, None, None]
    shifted = (1.0 - c)[:, None] * mean + params.bright.astype(np.float64)[:, None]
    offset = 2.0 * np.einsum("bij,bj->bi", chroma, shifted) - 1.0
    return np.concatenate([linear, offset[:, :, None]], axis=2).astype(np.float32)


def finish_op(
    load: Callable[..., Sequence[np.ndarray]],
    inputs: list[tf.Tensor],
    params: Draw,
    batch: int,
    size: int,
    resample: bool,
) -> tf.Tensor:
    """Wraps `finish` as one `tf.numpy_function` call: `load(*inputs)` (numpy) returns the batch's crops."""

    def run(*args):
        sources = load(*args[: len(inputs)])
        return finish(sources, Draw(*args[len(inputs) :]), size, resample)

    out = tf.numpy_function(run, [*inputs, *params], tf.float32, stateful=False)
    return tf.ensure_shape(out, [batch, size, size, 3])


def augment_batch(images: tf.Tensor, seed: tf.Tensor, cfg: AugmentConfig, size: int) -> tf.Tensor:
    """Augments a batch of uint8 crops (`[B, S, S, 3]`) and maps it to float32 `[B, size, size, 3]` in [-1, 1].

    Args:
        images: the crops.
        seed: `[2]` int seed of every random draw of this batch.
        cfg: which augmentations, and how strong.
        size: output side (each crop is resampled once to it).
    """
    images = tf.convert_to_tensor(images, tf.uint8)
    return finish_op(list, [images], draw(seed, images.shape[0], cfg), images.shape[0], size, resamples(cfg))


def resamples(cfg: AugmentConfig) -> bool:
    """Whether `cfg` zooms or rotates (a bilinear warp) rather than at most mirroring."""
    return cfg.scale > 0 or cfg.rotation > 0


def to_unit_range(images: tf.Tensor, size: int) -> tf.Tensor:
    """Un-augmented uint8 crops to float32 in [-1, 1] at `size` x `size` (area resize if needed)."""
    x = tf.cast(images, tf.float32)
    if x.shape[1] != size:
        x = tf.image.resize(x, [size, size], method="area")
    return x * (2.0 / 255.0) - 1.0
