"""Mixed precision: the Keras dtype policy the networks are built under.

`float32` is exact; `mixed_bfloat16` computes in bfloat16 with float32 variables (about 2x faster on
CPUs with AVX512-BF16/AMX, and as stable as float32 here: see docs/training.md, "The stage GANs, distribution and precision"); `mixed_float16`
needs loss scaling (a `LossScaleOptimizer`) and is meant for GPUs. The networks keep their heads (tanh,
the discriminator's score) and every loss in float32.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import keras

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")


@contextlib.contextmanager
def use_precision(name: str) -> Iterator[None]:
    """Sets the global Keras dtype policy for the models built inside the block, then restores the old one.

    Layers take the policy when they are created, so models built inside keep it after the block ends.

    Example:
        >>> with use_precision("mixed_bfloat16"):
        ...     layer = keras.layers.Dense(2)
        >>> layer.compute_dtype
        'bfloat16'
    """
    if name not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {name!r}")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def make_optimizer(
    learning_rate: float, beta_1: float, beta_2: float, epsilon: float, precision: str, name: str
) -> keras.optimizers.Optimizer:
    """Adam with the given hyper-parameters, wrapped in a dynamic `LossScaleOptimizer` for `mixed_float16`
    (float16 gradients underflow without it; bfloat16 has float32's exponent range and needs none)."""
    adam = keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, name=name)
    if precision == "mixed_float16":
        return keras.optimizers.LossScaleOptimizer(adam, name=f"{name}_loss_scale")
    return adam
