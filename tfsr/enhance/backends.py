"""Where the Low-to-High generator runs: Keras (TensorFlow) or a `.tflite` file (LiteRT).

Both backends are callables from a float32 batch `[N, 16, 16, 3]` in [-1, 1] to float32 `[N, 64, 64, 3]`,
so the enhancement pipeline does not care which one it holds. `load_super_resolver` opens any model a user
can name (a training run directory, a `.keras` file, a `.tflite` file, or a model object) and checks that it
really is a Low-to-High generator *before* anything is written.

Example:
    >>> sr = load_super_resolver("runs/demo")            # doctest: +SKIP
    >>> sr(np.zeros((2, 16, 16, 3), np.float32)).shape   # doctest: +SKIP
    (2, 64, 64, 3)
"""

from __future__ import annotations

import os
from typing import Any, Protocol, runtime_checkable

import keras
import numpy as np
import tensorflow as tf

from tfsr.errors import ModelError
from tfsr.faces import INPUT_SIDE, OUTPUT_SIDE
from tfsr.models import HighToLowGenerator, load_low_to_high
from tfsr.tflite.runner import TFLiteGenerator


@runtime_checkable
class SuperResolver(Protocol):
    """A Low-to-High generator behind a plain call: float32 `[N, 16, 16, 3]` -> float32 `[N, 64, 64, 3]`."""

    name: str

    def __call__(self, faces: np.ndarray) -> np.ndarray: ...


class KerasSuperResolver:
    """Runs a Keras Low-to-High generator in inference mode, one traced graph for every batch size.

    Args:
        model: the generator (any `keras.Model` mapping `(N, 16, 16, 3)` to `(N, 64, 64, 3)`).
        name: how reports call this backend.

    Example:
        >>> from tfsr.models.low_to_high import LowToHighGenerator
        >>> sr = KerasSuperResolver(LowToHighGenerator(group_filters=(8, 8, 8), group_blocks=(1, 1, 1)))
        >>> sr(np.zeros((3, 16, 16, 3), np.float32)).shape
        (3, 64, 64, 3)
    """

    def __init__(self, model: Any, name: str = "keras") -> None:
        self.model = model
        self.name = name
        # A fixed signature with an open batch axis: one trace serves 1 face or 10.
        self._run = tf.function(
            lambda x: model(x, training=False),
            input_signature=[tf.TensorSpec((None, INPUT_SIDE, INPUT_SIDE, 3), tf.float32)],
        )

    def __call__(self, faces: np.ndarray) -> np.ndarray:
        return np.asarray(self._run(np.asarray(faces, np.float32)), np.float32)


class TFLiteSuperResolver:
    """Runs a `.tflite` Low-to-High generator with LiteRT (`tfsr.tflite.TFLiteGenerator`).

    Args:
        path: the `.tflite` file (fp32, fp16, dynamic-range or int8, as `tfsr export` writes them), or an
            open `TFLiteGenerator`.
        num_threads: CPU threads of the interpreter (for a path).

    Example:
        >>> sr = TFLiteSuperResolver("export/demo_int8.tflite", num_threads=2)  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike[str] | TFLiteGenerator, num_threads: int = 2) -> None:
        self.generator = path if isinstance(path, TFLiteGenerator) else TFLiteGenerator(path, num_threads=num_threads)
        self.name = f"tflite-{self.generator.format}"

    def __call__(self, faces: np.ndarray) -> np.ndarray:
        return self.generator(faces)


def _check(resolver: SuperResolver, what: str) -> SuperResolver:
    """Runs one blank face through `resolver`: anything but a finite `(1, 64, 64, 3)` is the wrong model."""
    try:
        out = np.asarray(resolver(np.zeros((1, INPUT_SIDE, INPUT_SIDE, 3), np.float32)))
    except Exception as err:  # noqa: BLE001 - a network of another shape fails in framework-specific ways
        raise ModelError(f"{what}: not a Low-to-High generator (a 16x16 face fails: {type(err).__name__})") from None
    if out.shape != (1, OUTPUT_SIDE, OUTPUT_SIDE, 3):
        raise ModelError(
            f"{what}: not a Low-to-High generator (a 16x16 face gives shape {out.shape}, "
            f"not (1, {OUTPUT_SIDE}, {OUTPUT_SIDE}, 3))"
        )
    if not np.all(np.isfinite(out)):
        raise ModelError(f"{what}: the model returns NaN or infinity for a blank face")
    return resolver


def load_super_resolver(model: Any, num_threads: int = 2, ema: bool = True) -> SuperResolver:
    """Opens a Low-to-High generator from whatever a user names, and checks that it is one.

    Args:
        model: a training run directory, a `.keras` file, a `.tflite` file, a `keras.Model`, or a callable
            of the `SuperResolver` shape (returned unchanged after the check).
        num_threads: interpreter threads of a `.tflite` model.
        ema: from a run directory, take the moving average of the weights (as every later stage does).

    Returns:
        A checked `SuperResolver`.

    Raises:
        ModelError: missing, unreadable, or not a Low-to-High generator (a High-to-Low generator, a
            classifier `.tflite`, ...).
    """
    path = None
    if isinstance(model, (str, os.PathLike)):
        # The one loader of Low-to-High files (`tfsr evaluate` uses it too); it rejects other networks.
        path, model = str(model), load_low_to_high(model, ema=ema, num_threads=num_threads)
    if isinstance(model, TFLiteGenerator):
        return _check(TFLiteSuperResolver(model), path or str(model.path))
    if isinstance(model, keras.Model):
        if isinstance(model, HighToLowGenerator):
            raise ModelError(f"model {model.name!r}: a High-to-Low generator, not a Low-to-High generator")
        return _check(KerasSuperResolver(model), path or f"model {model.name!r}")
    if callable(model):  # a SuperResolver, or any callable of that shape
        return _check(model, f"backend {getattr(model, 'name', type(model).__name__)!r}")
    raise ModelError(f"cannot use a {type(model).__name__} as a model: give a path, a keras.Model or a backend")


__all__ = ["KerasSuperResolver", "SuperResolver", "TFLiteSuperResolver", "load_super_resolver"]
