"""Keras callbacks of a training run: stopping on a non-finite loss, checkpoints, logs, sample grids, generators.

Every callback reads the run's global step (generator updates since the run began) from the GAN's `step`,
so files written after a resume carry the same numbers an uninterrupted run would have written. Give them to
`fit` in this order: logging first (the row with the bad value is kept), then the non-finite check (which
raises before anything is saved), then the savers.

Example:
    >>> callbacks = [MetricsLog(csv_path, writer), StopOnNonFinite(lambda: manager.latest_checkpoint),
    ...              PeriodicCheckpoint(manager, every=1000), GeneratorSaver(run, gan.generators)]
    >>> gan.fit(ds, steps_per_epoch=50, epochs=4, callbacks=callbacks)  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import logging
import math
from pathlib import Path
from typing import Any, Callable

import keras
import numpy as np
import tensorflow as tf

from tfsr.errors import TfsrError
from tfsr.training.rundir import RunDir, atomic_save_model
from tfsr.training.samples import SampleSheet, save_grid

log = logging.getLogger("tfsr.training")


class TrainingDiverged(TfsrError):
    """A loss became NaN or infinite; training stopped and the last good checkpoint was kept."""


def current_step(model: keras.Model) -> int:
    """The GAN's global step (generator updates so far) as a Python int."""
    return int(keras.ops.convert_to_numpy(model.step))


def _scalars(logs: dict[str, Any] | None) -> dict[str, float]:
    return {k: float(np.asarray(v)) for k, v in (logs or {}).items()}


class StopOnNonFinite(keras.callbacks.Callback):
    """Raises `TrainingDiverged` at the first NaN or infinite metric, before any later callback can save.

    Args:
        last_checkpoint: says which checkpoint is kept (`"runs/x/checkpoints/ckpt-1000 is kept"`), for the message.
    """

    def __init__(self, last_checkpoint: Callable[[], str]) -> None:
        super().__init__()
        self.last_checkpoint = last_checkpoint

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        bad = {k: v for k, v in _scalars(logs).items() if not math.isfinite(v)}
        if bad:
            step = current_step(self.model)
            values = ", ".join(f"{k}={v}" for k, v in bad.items())
            message = (
                f"{values} at step {step}: training stopped; {self.last_checkpoint()} "
                "(a lower learning rate usually helps)"
            )
            log.error(message)
            raise TrainingDiverged(message)


class PeriodicCheckpoint(keras.callbacks.Callback):
    """Saves a `tf.train.CheckpointManager` every `every` steps and at the end of every epoch.

    Args:
        manager: the run's checkpoint manager; checkpoints are numbered by step.
        every: steps between checkpoints.
    """

    def __init__(self, manager: tf.train.CheckpointManager, every: int) -> None:
        super().__init__()
        self.manager = manager
        self.every = every
        self.saved_step: int | None = None

    def save(self) -> None:
        step = current_step(self.model)
        if step != self.saved_step:
            path = self.manager.save(checkpoint_number=step)
            self.saved_step = step
            log.debug("checkpoint at step %d: %s", step, path)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if current_step(self.model) % self.every == 0:
            self.save()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.save()


class MetricsLog(keras.callbacks.Callback):
    """Writes every step's metrics (as the progress bar shows them) to a CSV file and TensorBoard, and
    each epoch's to the text log.

    Args:
        csv_path: the per-step CSV (appended to; a resumed run first drops rows past its checkpoint with
            `truncate_steps`).
        writer: TensorBoard summary writer, or None.
    """

    def __init__(self, csv_path: Path, writer: tf.summary.SummaryWriter | None) -> None:
        super().__init__()
        self.csv_path = csv_path
        self.writer = writer
        self._file: Any = None
        self._csv: Any = None
        self._columns: list[str] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        if self.csv_path.is_file() and self.csv_path.stat().st_size:
            with open(self.csv_path, newline="") as f:
                self._columns = next(csv.reader(f))
        self._file = open(self.csv_path, "a", newline="")
        self._csv = csv.writer(self._file)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        values = _scalars(logs)
        step = current_step(self.model)
        if not self._columns:
            self._columns = ["step", *sorted(values)]
            self._csv.writerow(self._columns)
        self._csv.writerow([step, *(values.get(c, "") for c in self._columns[1:])])
        # A killed run loses at most this row.
        self._file.flush()
        if self.writer is not None:
            with self.writer.as_default(step=step):
                for name, value in values.items():
                    tf.summary.scalar(name, value)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        values = ", ".join(f"{k}={v:.4g}" for k, v in _scalars(logs).items())
        log.debug("epoch %d done at step %d: %s", epoch + 1, current_step(self.model), values)
        if self.writer is not None:
            self.writer.flush()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def truncate_steps(csv_path: Path, step: int) -> None:
    """Drops the rows of a per-step CSV after `step` (written by a run killed after its last checkpoint)."""
    if not csv_path.is_file():
        return
    with open(csv_path, newline="") as f:
        rows = list(csv.reader(f))
    kept = rows[:1] + [r for r in rows[1:] if r and int(r[0]) <= step]
    if len(kept) != len(rows):
        with open(csv_path, "w", newline="") as f:
            csv.writer(f).writerows(kept)


class SampleGrids(keras.callbacks.Callback):
    """Renders the sample grid of the EMA generators to TensorBoard every `every` steps and to
    `samples/epoch_NNNN.png` at the end of every epoch.

    Args:
        sheet: the fixed faces and noise vectors.
        generators: returns the generators to show, keyed by kind.
        writer: TensorBoard summary writer, or None.
        folder: where the PNG grids go.
        every: steps between TensorBoard grids.
    """

    def __init__(
        self,
        sheet: SampleSheet,
        generators: Callable[[], dict[str, keras.Model]],
        writer: tf.summary.SummaryWriter | None,
        folder: Path,
        every: int,
    ) -> None:
        super().__init__()
        self.sheet = sheet
        self.generators = generators
        self.writer = writer
        self.folder = folder
        self.every = every

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        step = current_step(self.model)
        if self.writer is not None and step % self.every == 0:
            with self.writer.as_default(step=step):
                tf.summary.image("samples", self.sheet.render(self.generators())[None])

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        save_grid(self.sheet.render(self.generators()), self.folder / f"epoch_{epoch + 1:04d}.png")


class GeneratorSaver(keras.callbacks.Callback):
    """Writes the generators, live and EMA, as `.keras` files into the run at the end of every epoch.

    Args:
        run: the run directory.
        generators: `generators(ema)` returns the generators keyed by kind.
    """

    def __init__(self, run: RunDir, generators: Callable[[bool], dict[str, keras.Model]]) -> None:
        super().__init__()
        self.run = run
        self.generators = generators

    def save(self) -> None:
        for ema in (False, True):
            for kind, model in self.generators(ema).items():
                atomic_save_model(model, self.run.model_file(kind, ema))

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.save()
