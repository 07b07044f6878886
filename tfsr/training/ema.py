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
    """`avg <- decay * avg + (1 - decay) * w` for each weight `w` of a Keras model.

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
            self.averages = [
                tf.Variable(tf.identity(w.value), trainable=False, name=w.path.replace("/", "_"))
                for w in model.weights
            ]

    def update(self) -> None:
        """Moves every average one step towards the model's current weights."""
        for average, w in zip(self.averages, self.model.weights):
            average.assign(self.decay * average + (1.0 - self.decay) * tf.cast(w.value, average.dtype))

    def averaged_model(self) -> keras.Model:
        """A new float32 model of the same class and config, built and holding the averaged weights."""
        with use_precision("float32"):
            copy = type(self.model).from_config(self.model.get_config())
            copy.build_from_config(self.model.get_build_config())
        copy.set_weights([a.numpy() for a in self.averages])
        return copy
