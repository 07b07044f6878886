"""Keras callbacks of a training run: stopping on a non-finite loss, checkpoints, logs, sample grids, generators.

Every callback reads the run's global step (generator updates since the run began) from the GAN's `step`,
so files written after a resume carry the same numbers an uninterrupted run would have written. Give them to
`fit` in this order: logging first (the row with the bad value is kept), then the non-finite check (which
raises before anything is saved), then the savers. A loss can stay finite for the step that breaks the
weights or Adam's moments, so `PeriodicCheckpoint` also checks everything it saves before it saves it, and
stops the same way.

Example:
    >>> callbacks = [MetricsLog(run, writer), StopOnNonFinite(lambda: kept_checkpoint(manager)),
    ...              PeriodicCheckpoint(manager, 1000, items), GeneratorSaver(run, gan.generators)]
    >>> gan.fit(ds, steps_per_epoch=50, epochs=4, callbacks=callbacks)  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import logging
import math
from pathlib import Path
from typing import Any, Callable, Mapping

import keras
import numpy as np
import tensorflow as tf

from tfsr.errors import TfsrError
from tfsr.runs import RunDir
from tfsr.training.rundir import atomic_save_model
from tfsr.training.samples import SampleSheet, save_grid

log = logging.getLogger("tfsr.training")


class TrainingDiverged(TfsrError):
    """A loss became NaN or infinite; training stopped and the last good checkpoint was kept."""


def current_step(model: keras.Model) -> int:
    """The GAN's global step (generator updates so far) as a Python int."""
    return int(keras.ops.convert_to_numpy(model.step))


def _scalars(logs: dict[str, Any] | None) -> dict[str, float]:
    return {k: float(np.asarray(v)) for k, v in (logs or {}).items()}


def kept_checkpoint(manager: tf.train.CheckpointManager) -> str:
    """Which checkpoint a stopped run keeps (`"runs/x/checkpoints/ckpt-1000 is kept"`), for the messages."""
    return f"{manager.latest_checkpoint} is kept" if manager.latest_checkpoint else "no checkpoint yet"


def diverged(what: str, step: int, kept: str) -> TrainingDiverged:
    """The error (logged here) that stops a run whose losses or state are no longer finite.

    Args:
        what: the non-finite values, e.g. `g_loss=nan`.
        step: the global step at which they were found.
        kept: which checkpoint survives (`kept_checkpoint`).
    """
    message = f"{what} at step {step}: training stopped; {kept} (a lower learning rate usually helps)"
    log.error(message)
    return TrainingDiverged(message)


def _float_variables(items: Mapping[str, Any]) -> list[tuple[str, tf.Variable]]:
    """`(name, variable)` for every float variable of checkpoint items: networks' weights, weight averages
    (`tf.Module`s), Keras optimizers (their slots: Adam's moments) and plain variables."""
    found = []
    for key, item in items.items():
        for v in [item] if isinstance(item, tf.Variable) else item.variables:
            # A Keras optimizer's variables are Keras variables; the TensorFlow variable is their `value`.
            value = v.value if isinstance(v, keras.Variable) else v
            if value.dtype.is_floating:
                found.append((f"{key}/{getattr(v, 'path', v.name)}", value))
    return found


def non_finite_variables(items: Mapping[str, Any]) -> list[str]:
    """The names of the float variables of `items` (as for `tf.train.Checkpoint(**items)`) that hold a NaN or
    an infinity, in order; empty when all are finite.

    Args:
        items: checkpoint items, e.g. a stage GAN's `checkpoint_items()`.
    """
    named = _float_variables(items)
    if not named:
        return []
    # One device-to-host copy for all variables, not one per variable.
    finite = keras.ops.convert_to_numpy(tf.stack([tf.reduce_all(tf.math.is_finite(v)) for _, v in named]))
    return [name for (name, _), ok in zip(named, finite) if not ok]


class StopOnNonFinite(keras.callbacks.Callback):
    """Raises `TrainingDiverged` at the first NaN or infinite metric, before any later callback can save.

    Args:
        last_checkpoint: says which checkpoint is kept (`kept_checkpoint`), for the message.
    """

    def __init__(self, last_checkpoint: Callable[[], str]) -> None:
        super().__init__()
        self.last_checkpoint = last_checkpoint

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        bad = {k: v for k, v in _scalars(logs).items() if not math.isfinite(v)}
        if bad:
            values = ", ".join(f"{k}={v}" for k, v in bad.items())
            raise diverged(values, current_step(self.model), self.last_checkpoint())


class PeriodicCheckpoint(keras.callbacks.Callback):
    """Saves a `tf.train.CheckpointManager` every `every` steps and at the end of every epoch, after checking
    that everything saved is finite.

    A finite loss does not prove a finite state: the update after it can overflow a weight or Adam's second
    moment, and the next checkpoint would keep that as the run's last good state. So before each save every
    float variable of `items` is checked, and a non-finite one raises `TrainingDiverged` (as
    `StopOnNonFinite` does for losses) with the previous checkpoint left as the newest.

    Args:
        manager: the run's checkpoint manager; checkpoints are numbered by step.
        every: steps between checkpoints.
        items: what the manager's checkpoint holds: the mapping given to `tf.train.Checkpoint(**items)` (a
            stage GAN's `checkpoint_items()`: networks, weight averages, optimizers, step).
    """

    def __init__(self, manager: tf.train.CheckpointManager, every: int, items: Mapping[str, Any]) -> None:
        super().__init__()
        self.manager = manager
        self.every = every
        self.items = items
        self.saved_step: int | None = None

    def save(self) -> None:
        step = current_step(self.model)
        if step != self.saved_step:
            bad = non_finite_variables(self.items)
            if bad:
                shown = ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
                raise diverged(f"non-finite values in {shown}", step, kept_checkpoint(self.manager))
            path = self.manager.save(checkpoint_number=step)
            self.saved_step = step
            log.debug("checkpoint at step %d: %s", step, path)

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if current_step(self.model) % self.every == 0:
            self.save()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.save()


def append_row(path: Path, row: dict[str, Any]) -> None:
    """Appends `row` to a CSV file, under the header already there (or a new one from the row's keys).

    The file is closed after every row, so a killed run loses nothing written before.
    """
    columns = list(row)
    if path.is_file() and path.stat().st_size:
        with open(path, newline="") as f:
            columns = next(csv.reader(f))
    else:
        path.write_text(",".join(columns) + "\n")
    with open(path, "a", newline="") as f:
        csv.writer(f).writerow([row.get(c, "") for c in columns])


def truncate_after(path: Path, step: int) -> None:
    """Drops the rows of a CSV log whose `step` is past `step` (written by a run killed after its last
    checkpoint, and about to be written again by the resumed run)."""
    if not path.is_file():
        return
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        return
    at = rows[0].index("step")
    kept = rows[:1] + [r for r in rows[1:] if r and int(r[at]) <= step]
    if len(kept) != len(rows):
        with open(path, "w", newline="") as f:
            csv.writer(f).writerows(kept)


class MetricsLog(keras.callbacks.Callback):
    """Writes the metrics (as the progress bar shows them: means since the epoch began) of every step to
    the run's steps log and TensorBoard, and of every epoch to its epochs log and the text log.

    Args:
        run: the run whose CSV logs are appended to (a resumed run first drops rows past its checkpoint:
            `truncate_after`).
        writer: TensorBoard summary writer, or None.
    """

    def __init__(self, run: RunDir, writer: tf.summary.SummaryWriter | None) -> None:
        super().__init__()
        self.run = run
        self.writer = writer

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        values = _scalars(logs)
        step = current_step(self.model)
        append_row(self.run.steps_log, {"step": step, **dict(sorted(values.items()))})
        if self.writer is not None:
            with self.writer.as_default(step=step):
                for name, value in values.items():
                    tf.summary.scalar(name, value)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        values, step = dict(sorted(_scalars(logs).items())), current_step(self.model)
        append_row(self.run.epochs_log, {"epoch": epoch + 1, "step": step, **values})
        log.debug("epoch %d done at step %d: %s", epoch + 1, step, ", ".join(f"{k}={v:.4g}" for k, v in values.items()))
        if self.writer is not None:
            self.writer.flush()


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
