"""A training run's directory: its layout, the config it was started with, and writes that never leave half a file.

Layout of `RUN_DIR`::

    config.yaml                      the resolved config; resuming must match it (only training.steps may grow)
    checkpoints/                     tf.train.Checkpoint files of the last few saves (CheckpointManager)
    models/<kind>[_ema].keras        generators, live and exponential moving average, rewritten each epoch
    samples/epoch_0001.png           one sample grid per epoch
    logs/steps.csv                   metrics of every generator update
    logs/epochs.csv                  metrics averaged over each epoch
    logs/train.log                   what happened, in words
    tensorboard/                     scalars and image grids

Example:
    >>> run = open_run(cfg, Path("runs/demo_stage1"), resume=True)  # doctest: +SKIP
    >>> run.latest_checkpoint()  # doctest: +SKIP
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import tensorflow as tf
import yaml

from tfsr.config import Config
from tfsr.errors import ConfigError, ModelError
from tfsr.models.loading import GeneratorKind, generator_path

# Keys a resumed run may change: more steps extend a finished run.
GROWABLE_KEYS = ("training.steps",)


@dataclass(frozen=True)
class RunDir:
    """The paths of one training run.

    Args:
        root: the run directory.

    Example:
        >>> RunDir(Path("runs/demo")).config_file
        PosixPath('runs/demo/config.yaml')
    """

    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / "config.yaml"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def tensorboard(self) -> Path:
        return self.root / "tensorboard"

    def model_file(self, kind: GeneratorKind, ema: bool) -> Path:
        return generator_path(self.root, kind, ema)

    def latest_checkpoint(self) -> str | None:
        """The prefix of the newest complete checkpoint, or None."""
        return tf.train.latest_checkpoint(str(self.checkpoints)) if self.checkpoints.is_dir() else None

    def create(self) -> None:
        for folder in (self.checkpoints, self.model_file("low_to_high", True).parent, self.samples, self.logs):
            folder.mkdir(parents=True, exist_ok=True)


def atomic_write(path: Path, data: str | bytes) -> None:
    """Writes `data` to `path` so that readers see the old file or the new one, never a part of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_save_model(model: keras.Model, path: Path) -> None:
    """Saves a `.keras` file through a temporary file in the same folder, then renames it into place."""
    # Keras insists on the .keras suffix, so the temporary name keeps it.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".keras")
    os.close(fd)
    try:
        model.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def config_differences(stored: Any, current: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """The dotted keys whose values differ between two plain config trees, with both values."""
    if isinstance(stored, dict) and isinstance(current, dict):
        diffs = []
        for key in sorted(set(stored) | set(current), key=str):
            dotted = f"{prefix}.{key}" if prefix else str(key)
            diffs += config_differences(stored.get(key), current.get(key), dotted)
        return diffs
    return [] if stored == current else [(prefix, stored, current)]


def _plain(cfg: Config) -> dict[str, Any]:
    # A YAML round trip, so the comparison with the stored file sees the same floats and lists it will.
    return yaml.safe_load(yaml.safe_dump(cfg.to_dict(), sort_keys=False))


def open_run(cfg: Config, root: Path, resume: bool = True) -> RunDir:
    """Creates a run directory, or checks that an existing one was started with the same config.

    Args:
        cfg: the experiment about to be trained.
        root: the run directory.
        resume: continue a run found there; with False, a directory that already holds checkpoints is refused
            rather than overwritten.

    Returns:
        The run, its folders created and `config.yaml` holding `cfg`.

    Raises:
        ConfigError: the directory holds a run of another config (the message lists the differing keys), or
            a run while `resume` is False, or `training.steps` shrank.
        ModelError: the directory holds checkpoints but no `config.yaml`.
    """
    run = RunDir(Path(root))
    current = _plain(cfg)
    has_checkpoint = run.latest_checkpoint() is not None
    if has_checkpoint and not resume:
        raise ConfigError(f"{run.root}: already holds a training run; resume it or choose another run dir")
    if run.config_file.is_file() and has_checkpoint:
        try:
            stored = yaml.safe_load(run.config_file.read_text()) or {}
        except yaml.YAMLError as err:
            raise ModelError(f"{run.config_file}: not valid YAML: {err}") from None
        diffs = [d for d in config_differences(stored, current) if d[0] not in GROWABLE_KEYS]
        if diffs:
            listed = "; ".join(f"{key}: {old!r} in the run, {new!r} now" for key, old, new in diffs)
            raise ConfigError(f"{run.root}: this run was started with another config ({listed})")
        old_steps = stored.get("training", {}).get("steps", 0)
        if cfg.training.steps < old_steps:
            raise ConfigError(
                f"{run.root}: training.steps may only grow when resuming "
                f"({old_steps} in the run, {cfg.training.steps} now)"
            )
    elif has_checkpoint:
        raise ModelError(f"{run.root}: holds checkpoints but no config.yaml, so they cannot be checked; not resuming")
    run.create()
    atomic_write(run.config_file, yaml.safe_dump(current, sort_keys=False))
    return run
