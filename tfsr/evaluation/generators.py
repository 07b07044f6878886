"""The networks under test, behind plain numpy calls: `.keras` files, training run directories, `.tflite`.

Example:
    >>> sr = LowToHigh.load("runs/demo_low_to_high")  # doctest: +SKIP
    >>> sr(lr_batch).shape  # doctest: +SKIP
    (8, 64, 64, 3)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tfsr.errors import ModelError
from tfsr.faces import INPUT_SIDE
from tfsr.models import load_generator, load_low_to_high
from tfsr.runs import RunDir
from tfsr.tflite.runner import TFLiteGenerator


def _batched(fn: Callable[[np.ndarray], Any], x: np.ndarray, batch_size: int) -> np.ndarray:
    return np.concatenate([np.asarray(fn(x[i : i + batch_size]), np.float32) for i in range(0, len(x), batch_size)])


@dataclass
class LowToHigh:
    """A Low-to-High generator: float32 `[N, s, s, 3]` in [-1, 1] -> `[N, 4s, 4s, 3]` in [-1, 1].

    Args:
        model: a Keras model or a `TFLiteGenerator`.
        source: the file or run it came from.
        runtime: `keras` or `litert`.
    """

    model: Any
    source: Path
    runtime: str

    @property
    def input_size(self) -> int | None:
        """The side of the faces it takes: fixed for `.tflite` files, None (any) for the convolutional Keras model."""
        if self.runtime == "litert":
            return INPUT_SIDE
        return None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "LowToHigh":
        """From a `.tflite` file (LiteRT), a `.keras` file or a run directory (its EMA weights).

        Raises:
            ModelError: the path is missing or holds no Low-to-High generator.
        """
        path = Path(path).expanduser()
        model = load_low_to_high(path)
        return cls(model, path, "litert" if isinstance(model, TFLiteGenerator) else "keras")

    def __call__(self, lr: np.ndarray, batch_size: int = 64) -> np.ndarray:
        if self.runtime == "litert":
            return _batched(self.model, lr, batch_size)
        return _batched(lambda b: self.model(b, training=False), lr, batch_size)


@dataclass
class HighToLow:
    """A High-to-Low generator with its noise: float32 `[N, S, S, 3]` -> `[N, S/4, S/4, 3]`, both in [-1, 1].

    Args:
        model: the Keras `HighToLowGenerator`.
        source: the file or run it came from.
    """

    model: Any
    source: Path

    def __call__(self, hr: np.ndarray, seed: int = 0, batch_size: int = 64) -> np.ndarray:
        """Degrades `hr` with noise `z ~ N(0, I)` drawn from `seed` (so a measurement can be repeated)."""
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((len(hr), self.model.noise_dim)).astype(np.float32)
        out = [
            np.asarray(self.model((hr[i : i + batch_size], z[i : i + batch_size]), training=False), np.float32)
            for i in range(0, len(hr), batch_size)
        ]
        return np.concatenate(out)


def find_high_to_low(path: str | os.PathLike[str]) -> HighToLow | None:
    """The High-to-Low generator that belongs to a model, if there is one.

    A run directory has one when it holds `models/high_to_low*.keras` itself (stages 1 and 3), or when its
    `config.yaml` names the High-to-Low run it was trained from (stage 2, `training.high_to_low_run`). A
    `.keras` or `.tflite` file of a Low-to-High generator has none.

    Raises:
        ModelError: a High-to-Low generator is named but cannot be loaded.
    """
    path = Path(path).expanduser()
    if not path.is_dir():
        return None
    run = RunDir(path)
    if run.has_generator("high_to_low"):
        return HighToLow(load_generator(path, "high_to_low"), path)
    source = ((run.stored_config() or {}).get("training") or {}).get("high_to_low_run")
    if not source:
        return None
    return HighToLow(load_generator(source, "high_to_low"), Path(source))
