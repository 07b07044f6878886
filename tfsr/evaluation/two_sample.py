"""Classifier two-sample test: how well a small network tells two sets of images apart on held-out data.

Both sets are cut to the same size, shuffled, and each split in half: a small convolutional classifier is
trained on one half of each and its accuracy measured on the other halves. 50% means the sets cannot be
told apart (by this classifier); 100% means they are trivially different. Unlike FID it needs no
pretrained network, so it works on 16x16 faces offline.

Example:
    >>> result = classifier_two_sample_test(fake_lr, real_lr, seed=0)  # doctest: +SKIP
    >>> result.accuracy  # doctest: +SKIP
    0.62
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tfsr.pixels import to_unit


@dataclass(frozen=True)
class TwoSampleResult:
    """Held-out accuracy of the classifier.

    Args:
        accuracy: fraction of held-out images classified correctly (0.5 = indistinguishable).
        stderr: binomial standard error of `accuracy`.
        test_images: held-out images (half from each set).
    """

    accuracy: float
    stderr: float
    test_images: int


def _classifier(size: int, width: int, seed: int):
    import keras

    init = keras.initializers.HeNormal(seed=seed)
    return keras.Sequential(
        [
            keras.Input((size, size, 3)),
            keras.layers.Conv2D(width, 3, padding="same", activation="relu", kernel_initializer=init),
            keras.layers.Conv2D(2 * width, 3, strides=2, padding="same", activation="relu", kernel_initializer=init),
            keras.layers.Conv2D(2 * width, 3, strides=2, padding="same", activation="relu", kernel_initializer=init),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(1, kernel_initializer=keras.initializers.GlorotUniform(seed=seed)),
        ]
    )


def _as_float(images: np.ndarray) -> np.ndarray:
    x = np.asarray(images)
    return to_unit(x) if x.dtype == np.uint8 else x.astype(np.float32)


def classifier_two_sample_test(
    a: np.ndarray,
    b: np.ndarray,
    seed: int = 0,
    epochs: int = 30,
    width: int = 16,
    batch_size: int = 32,
) -> TwoSampleResult:
    """Trains a classifier to separate `a` from `b` and returns its held-out accuracy.

    Args:
        a: `[N, s, s, 3]` images (uint8, or float in [-1, 1]).
        b: `[M, s, s, 3]` images of the same size.
        seed: seed of the split, the initialisation and the training order.
        epochs: passes over the training halves.
        width: channels of the classifier's first layer.
        batch_size: training batch.

    Raises:
        ValueError: the sets differ in image size or have fewer than 4 images each.
    """
    import keras
    import tensorflow as tf

    a, b = _as_float(a), _as_float(b)
    if a.shape[1:] != b.shape[1:]:
        raise ValueError(f"two-sample test: image shapes differ: {a.shape[1:]} vs {b.shape[1:]}")
    n = min(len(a), len(b))
    if n < 4:
        raise ValueError(f"two-sample test needs at least 4 images per set, got {len(a)} and {len(b)}")
    rng = np.random.default_rng(seed)
    a, b = a[rng.permutation(len(a))[:n]], b[rng.permutation(len(b))[:n]]
    half = n // 2
    x_train = np.concatenate([a[:half], b[:half]])
    y_train = np.concatenate([np.zeros(half), np.ones(half)]).astype(np.float32)
    x_test = np.concatenate([a[half:], b[half:]])
    y_test = np.concatenate([np.zeros(n - half), np.ones(n - half)]).astype(np.float32)

    keras.utils.set_random_seed(seed)
    model = _classifier(a.shape[1], width, seed)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.BinaryCrossentropy(from_logits=True))
    data = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(len(x_train), seed=seed).batch(batch_size)
    model.fit(data, epochs=epochs, verbose=0)
    logits = np.asarray(model.predict(x_test, batch_size=256, verbose=0)).reshape(-1)
    accuracy = float(np.mean((logits > 0) == (y_test > 0.5)))
    stderr = float(np.sqrt(accuracy * (1 - accuracy) / len(y_test)))
    return TwoSampleResult(accuracy=accuracy, stderr=stderr, test_images=len(y_test))
