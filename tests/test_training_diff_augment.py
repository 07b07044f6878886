"""Differentiable augmentation of the discriminators' inputs: what each policy does, determinism, gradients."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from tfsr.training import diff_augment


def images(n: int = 6, side: int = 16) -> tf.Tensor:
    return tf.constant(np.random.default_rng(0).uniform(0.1, 1.0, (n, side, side, 3)).astype("float32"))


def test_translation_shifts_whole_images_by_at_most_an_eighth():
    x = images()
    out = diff_augment.translation(x, tf.constant([3, 4])).numpy()
    for original, moved in zip(x.numpy(), out):
        # Some shift (dy, dx) in [-2, 2]^2 reproduces the image exactly where it overlaps; zeros elsewhere.
        matches = []
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                shifted = np.roll(np.roll(original, dy, 0), dx, 1)
                ys = slice(max(dy, 0), 16 + min(dy, 0))
                xs = slice(max(dx, 0), 16 + min(dx, 0))
                if np.array_equal(moved[ys, xs], shifted[ys, xs]) and np.count_nonzero(moved) == moved[ys, xs].size:
                    matches.append((dy, dx))
        assert matches


def test_cutout_zeroes_one_square_of_half_the_side():
    out = diff_augment.cutout(images(), tf.constant([1, 2])).numpy()
    for image in out:
        zero = np.all(image == 0, axis=-1)
        rows, cols = np.nonzero(zero)
        assert 0 < zero.sum() <= 64  # an 8x8 square, clipped at the border
        assert rows.max() - rows.min() < 8 and cols.max() - cols.min() < 8
        assert zero.sum() == (rows.max() - rows.min() + 1) * (cols.max() - cols.min() + 1)


def test_same_seed_same_draw_and_gradients_pass():
    x = tf.Variable(images())
    seed = tf.constant([7, 1])
    a = diff_augment.augment(x, seed, ("translation", "cutout"))
    b = diff_augment.augment(x, seed, ("translation", "cutout"))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, diff_augment.augment(x, tf.constant([7, 2]), ("translation", "cutout")))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(diff_augment.augment(x, seed, ("translation", "cutout")))
    grad = tape.gradient(loss, x).numpy()
    # Each kept pixel passes its gradient once; cut or shifted-out pixels get none.
    assert set(np.unique(grad)) <= {0.0, 1.0} and grad.sum() > 0
    np.testing.assert_array_equal(diff_augment.augment(x, seed, ()), x)


def test_stage_refuses_unknown_policies():
    from tfsr.training.stage_gan import StageGAN

    with pytest.raises(ValueError, match="unknown d_augment"):
        StageGAN({}, [], d_augment=("rotate",))
