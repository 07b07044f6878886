"""Opening a training run's directory: the config it was started with, resuming, and whole-file model saves.

The layout itself (which file lives where) is `tfsr.runs.RunDir`'s alone.

Example:
    >>> run = open_run(cfg, Path("runs/demo_stage1"), resume=True)  # doctest: +SKIP
    >>> latest_checkpoint(run)  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import tensorflow as tf
import yaml

from tfsr.atomic import atomic_write, replacing
from tfsr.config import Config
from tfsr.errors import ConfigError, ModelError
from tfsr.runs import RunDir

# Keys a resumed run may change: more steps extend a finished run.
GROWABLE_KEYS = ("training.steps",)


def latest_checkpoint(run: RunDir) -> str | None:
    """The prefix of the run's newest complete checkpoint, or None."""
    return tf.train.latest_checkpoint(str(run.checkpoints)) if run.checkpoints.is_dir() else None


def atomic_save_model(model: keras.Model, path: Path) -> None:
    """Saves a `.keras` file so that a reader sees the old model or the new one (`tfsr.atomic.replacing`)."""
    with replacing(path) as tmp:
        model.save(tmp)


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
    has_checkpoint = latest_checkpoint(run) is not None
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
