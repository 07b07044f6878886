"""Differentiable augmentation of the discriminators' inputs (Zhao et al. 2020, "DiffAugment"): a tfsr
deviation from the paper for small data sets.

With a few hundred real low-resolution faces a discriminator memorises them within a few hundred updates and
its gradient stops telling the generator anything about the degradation. Translating and cutting out parts
of *every* image the discriminator sees (real and generated, in its own updates and when it scores the
generator) keeps it from memorising pixels, while the statistics that matter here (noise, blur, compression,
colour) survive both operations. Both are differentiable, so the generator's gradient passes through them.

Draws are stateless from a `[2]` seed, one per image, so a step augments the same way on every run and every
replica count.

Example:
    >>> x = tf.zeros((4, 16, 16, 3))
    >>> tuple(augment(x, tf.constant([1, 2]), ("translation", "cutout")).shape)
    (4, 16, 16, 3)
"""

from __future__ import annotations

from typing import Sequence

import tensorflow as tf

POLICIES = ("translation", "cutout")
_TRANSLATION = 1 / 8  # largest shift, of the side
_CUTOUT = 1 / 2  # side of the square cut out, of the side


def translation(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Shifts each image by up to 1/8 of its side in x and y, filling with zeros."""
    b, h, w = tf.shape(images)[0], images.shape[1], images.shape[2]
    m = max(1, int(round(h * _TRANSLATION)))
    shifts = tf.random.stateless_uniform([b, 2], seed, -m, m + 1, tf.int32)
    padded = tf.pad(images, [[0, 0], [m, m], [m, m], [0, 0]])
    rows = tf.range(h)[None, :] + m - shifts[:, :1]
    cols = tf.range(w)[None, :] + m - shifts[:, 1:]
    out = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(out, cols, axis=2, batch_dims=1)


def cutout(images: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
    """Zeroes a square of half the side at a random place of each image (it may reach past the border)."""
    b, h, w = tf.shape(images)[0], images.shape[1], images.shape[2]
    size = max(1, int(round(h * _CUTOUT)))
    centre = tf.random.stateless_uniform([b, 2], seed, 0, h + 1 - size % 2, tf.int32)
    lo = centre - size // 2
    ys = tf.range(h)[None, :]
    xs = tf.range(w)[None, :]
    in_y = (ys >= lo[:, :1]) & (ys < lo[:, :1] + size)
    in_x = (xs >= lo[:, 1:]) & (xs < lo[:, 1:] + size)
    keep = 1.0 - tf.cast(in_y[:, :, None] & in_x[:, None, :], images.dtype)
    return images * keep[..., None]


_FUNCTIONS = {"translation": translation, "cutout": cutout}


def augment(images: tf.Tensor, seed: tf.Tensor, policies: Sequence[str]) -> tf.Tensor:
    """`images` through each policy in order, each with its own draw from `seed`.

    Args:
        images: `[B, H, W, C]` with static H and W.
        seed: `[2]` int seed.
        policies: names from `POLICIES`; empty returns `images` unchanged.
    """
    if not policies:
        return images
    seeds = tf.unstack(tf.random.experimental.stateless_split(tf.cast(seed, tf.int64), len(policies)))
    for name, s in zip(policies, seeds):
        images = _FUNCTIONS[name](images, s)
    return images
