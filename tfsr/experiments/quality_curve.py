"""PSNR-Y of a Low-to-High run on test pairs as it trains, and the plot of such curves.

`QualityCurve` is a Keras callback for `run_training(..., extra_callbacks=[...])`: every `every` generator
updates it scores the weight average (what evaluation and export use) on the test pairs, and it writes the
points to `<run>/psnr_by_update.json` when training ends, so a finished run that is reused keeps its curve.

Example:
    >>> curve = QualityCurve(test_lr, test_hr, every=30, path=run / CURVE_FILE)  # doctest: +SKIP
    >>> run_training(cfg, run, extra_callbacks=[curve])  # doctest: +SKIP
    >>> plot_curves({"full": read_curve(run)}, bicubic=19.8, path=Path("curve.png"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import keras
import numpy as np

from tfsr.atomic import atomic_write
from tfsr.evaluation import metrics

CURVE_FILE = "psnr_by_update.json"


class QualityCurve(keras.callbacks.Callback):
    """Scores the averaged Low-to-High on `(lr, hr)` at update 0 and every `every` updates.

    Args:
        lr: test inputs, `[N, 16, 16, 3]` in [-1, 1].
        hr: their ground truth, `[N, 64, 64, 3]` uint8.
        every: generator updates between points.
        path: where the points go as JSON (`{update: psnr_y}`) when training ends.
    """

    def __init__(self, lr: np.ndarray, hr: np.ndarray, every: int, path: Path) -> None:
        super().__init__()
        self.lr, self.hr, self.every, self.path = lr, hr, max(1, int(every)), Path(path)
        self.points: dict[int, float] = {}

    def _average(self) -> Any:
        return self.model.emas["low_to_high"]

    def _score(self) -> None:
        average = self._average()
        network = average.averaged_model()
        self.points[int(average.updates.numpy())] = metrics.psnr(np.asarray(network(self.lr, training=False)), self.hr, "y")

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self.path.is_file():  # a resumed run keeps the points it has
            self.points = {int(k): v for k, v in json.loads(self.path.read_text()).items()}
        if int(self._average().updates.numpy()) not in self.points:
            self._score()

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if int(self._average().updates.numpy()) % self.every == 0:
            self._score()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if int(self._average().updates.numpy()) not in self.points:
            self._score()
        atomic_write(self.path, json.dumps({str(k): v for k, v in sorted(self.points.items())}, indent=1) + "\n")


def read_curve(run: Path) -> dict[int, float]:
    """The points a `QualityCurve` wrote into `run` (empty when it has none)."""
    path = Path(run) / CURVE_FILE
    return {int(k): v for k, v in json.loads(path.read_text()).items()} if path.is_file() else {}


def plot_curves(curves: dict[str, dict[int, float]], bicubic: float | None, path: Path, title: str = "") -> Path:
    """PSNR-Y against Low-to-High updates, one line per curve, bicubic as a dashed line; written to `path`."""
    import matplotlib  # imported here: only the benchmark draws

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 3.8), dpi=110)
    if bicubic is not None:
        ax.axhline(bicubic, color="grey", ls="--", label=f"bicubic {bicubic:.2f}")
    for name, points in curves.items():
        if points:
            ax.plot(list(points), list(points.values()), "o-", ms=3, label=name)
    ax.set_xlabel("generator updates (Low-to-High)")
    ax.set_ylabel("PSNR-Y on the real LR test set (dB)")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
