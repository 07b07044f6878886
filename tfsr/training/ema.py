"""An exponential moving average of a generator's weights, kept beside the live network during training.

Evaluating and exporting the averaged weights instead of the last ones removes most of the step-to-step
jitter of GAN training. The average covers every weight of the generator, BatchNorm's moving statistics
included, so the copy is a complete network.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from tfsr.training.precision import use_precision


class ExponentialMovingAverage(tf.Module):
    """`avg <- d * avg + (1 - d) * w` for each weight `w` of a Keras model, `d = min(decay, (1 + n) / (10 + n))`.

    `n` counts the updates done. The warm-up in `d` keeps a short run's average from being mostly the
    initial weights: with a plain decay of 0.999, 200 updates leave 82% of the start in the average; with the
    warm-up the first updates move it most of the way and `decay` takes over once `(1 + n) / (10 + n)` exceeds it.

    Create it inside the training strategy's scope: its variables are then mirrored like the model's, and
    `update()` (called in replica context inside a train step) assigns each replica's copy from that replica's
    (identical) weights, so the replicas stay identical without communication.

    Args:
        model: a built Keras model.
        decay: weight of the old average per update, in [0, 1).
        name: name of the module (and prefix of its variables).

    Example:
        >>> g = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> ema = ExponentialMovingAverage(g, decay=0.9)
        >>> ema.update()
        >>> averaged = ema.averaged_model()
    """

    def __init__(self, model: keras.Model, decay: float = 0.999, name: str | None = None) -> None:
        super().__init__(name=name or f"{model.name}_ema")
        if not 0 <= decay < 1:
            raise ValueError(f"ExponentialMovingAverage: decay must be in [0, 1), got {decay}")
        self.model = model
        self.decay = decay
        with tf.name_scope(self.name):
            self.updates = tf.Variable(0, dtype=tf.int64, trainable=False, name="updates")
            self.averages = [
                tf.Variable(tf.identity(w.value), trainable=False, name=w.path.replace("/", "_"))
                for w in model.weights
            ]

    def current_decay(self) -> tf.Tensor:
        """The decay of the next update: `min(decay, (1 + n) / (10 + n))` after `n` updates."""
        n = tf.cast(self.updates, tf.float32)
        return tf.minimum(tf.constant(self.decay, tf.float32), (1.0 + n) / (10.0 + n))

    def update(self) -> None:
        """Moves every average one step towards the model's current weights."""
        d = self.current_decay()
        for average, w in zip(self.averages, self.model.weights):
            average.assign(d * average + (1.0 - d) * tf.cast(w.value, average.dtype))
        self.updates.assign_add(1)

    def averaged_model(self) -> keras.Model:
        """A new float32 model of the same class and config, built and holding the averaged weights."""
        with use_precision("float32"):
            copy = type(self.model).from_config(self.model.get_config())
            copy.build_from_config(self.model.get_build_config())
        copy.set_weights([a.numpy() for a in self.averages])
        return copy
