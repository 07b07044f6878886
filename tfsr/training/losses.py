"""The paper's losses (sec. 3.5): the hinge GAN loss (eq. 2) and the pixel loss (eq. 4).

Every function returns a float32 scalar: under a mixed-precision policy the networks compute in half
precision, but losses (and their means over a batch) are taken in float32 so that small differences between
large activations are not rounded away.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf


def _f32(x: Any) -> tf.Tensor:
    return tf.cast(x, tf.float32)


def discriminator_hinge_loss(real_scores: Any, fake_scores: Any) -> tf.Tensor:
    """`mean(relu(1 - D(real))) + mean(relu(1 + D(fake)))`: the discriminator's hinge loss.

    Args:
        real_scores: the discriminator's scores of real images, `(B, 1)`.
        fake_scores: its scores of generated images, `(B', 1)`.

    Example:
        >>> float(discriminator_hinge_loss(tf.constant([[2.0]]), tf.constant([[-0.5]])))
        0.5
    """
    return tf.reduce_mean(tf.nn.relu(1.0 - _f32(real_scores))) + tf.reduce_mean(tf.nn.relu(1.0 + _f32(fake_scores)))


def generator_hinge_loss(fake_scores: Any) -> tf.Tensor:
    """`-mean(D(fake))`: the generator's GAN term.

    Example:
        >>> float(generator_hinge_loss(tf.constant([[1.0], [3.0]])))
        -2.0
    """
    return -tf.reduce_mean(_f32(fake_scores))


def pixel_loss(prediction: Any, target: Any) -> tf.Tensor:
    """Mean squared error between two image batches (eq. 4).

    Example:
        >>> float(pixel_loss(tf.zeros((1, 2, 2, 3)), tf.ones((1, 2, 2, 3))))
        1.0
    """
    return tf.reduce_mean(tf.square(_f32(prediction) - _f32(target)))


def mean_colour_loss(prediction: Any, target: Any) -> tf.Tensor:
    """Squared error of each image's mean colour (per channel, over its pixels), averaged over the batch.

    A global colour shift costs as much here as in `pixel_loss`, local changes (noise, blur, compression)
    nothing: weighted up, it keeps a generator from learning a colour cast that only tells two face sets
    apart (other people, other cameras) and that the next stage would learn to invert.

    Example:
        >>> float(mean_colour_loss(tf.zeros((1, 2, 2, 3)), tf.fill((1, 2, 2, 3), 0.5)))
        0.25
    """
    mean = lambda x: tf.reduce_mean(_f32(x), axis=(1, 2))  # noqa: E731
    return tf.reduce_mean(tf.square(mean(prediction) - mean(target)))


def average_downsample(images: Any, scale: int = 4) -> tf.Tensor:
    """`AvgPool scale x scale`: the High-to-Low generator's pixel-loss target made from the HR face.

    Example:
        >>> tuple(average_downsample(tf.zeros((2, 64, 64, 3))).shape)
        (2, 16, 16, 3)
    """
    return tf.nn.avg_pool2d(_f32(images), ksize=scale, strides=scale, padding="VALID")
