"""The input skip of both generators (a tfsr deviation from the paper, off in `configs/paper/`)."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

# atanh of the base is taken inside (-1, 1): a saturated pixel maps to +-3.8, which tanh brings back to
# within 1e-3 of it, and its gradient stays finite.
_BOUND = 1.0 - 1e-3


@keras.saving.register_keras_serializable(package="tfsr")
class InputSkip(keras.layers.Layer):
    """`tanh(atanh(base) + residual)`: a generator's head predicts a correction of a fixed resampling.

    With its last convolution zero-initialised, a generator with this skip starts as the resampling itself
    (AvgPool4 for High-to-Low, bicubic for Low-to-High) instead of as noise: measured on the demo faces, the
    High-to-Low pixel loss starts at 0 instead of 0.2, and the Low-to-High starts at bicubic's PSNR. The
    correction acts before the tanh, so outputs stay in (-1, 1).

    Call it on `(base, residual)`, two tensors of one shape; the output is float32.

    Example:
        >>> skip = InputSkip()
        >>> float(skip((tf.constant([[0.5]]), tf.constant([[0.0]])))[0, 0])  # doctest: +ELLIPSIS
        0.5...
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, inputs: Any) -> Any:
        base, residual = inputs
        base = tf.clip_by_value(tf.cast(base, tf.float32), -_BOUND, _BOUND)
        # atanh as two logarithms: TFLite has no ATANH operator, and LOG runs on its GPU delegate.
        atanh = 0.5 * (tf.math.log(1.0 + base) - tf.math.log(1.0 - base))
        return tf.tanh(atanh + tf.cast(residual, tf.float32))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape[0]
