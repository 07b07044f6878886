"""A training run's directory layout, the one place it is written down.

Training writes it (`tfsr.training.rundir.open_run`, the callbacks); loading a generator
(`tfsr.models.load_generator`), `tfsr evaluate` (which High-to-Low a stage 2 was trained from) and
`tfsr export` (the run's `export:` section) read it. All of them ask `RunDir`, so renaming a folder is a
one-line change. This module sits below `models`: it imports only `tfsr.errors`.

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
    >>> run = RunDir(Path("runs/demo"))
    >>> run.config_file, run.model_file("low_to_high", ema=True)
    (PosixPath('runs/demo/config.yaml'), PosixPath('runs/demo/models/low_to_high_ema.keras'))
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml

from tfsr.errors import ModelError

GeneratorKind = Literal["high_to_low", "low_to_high"]


@dataclass(frozen=True)
class RunDir:
    """The paths of one training run.

    Args:
        root: the run directory.

    Example:
        >>> RunDir(Path("runs/demo")).steps_log
        PosixPath('runs/demo/logs/steps.csv')
    """

    root: Path

    CONFIG_NAME: ClassVar[str] = "config.yaml"

    @property
    def config_file(self) -> Path:
        return self.root / self.CONFIG_NAME

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def samples(self) -> Path:
        return self.root / "samples"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def steps_log(self) -> Path:
        return self.logs / "steps.csv"

    @property
    def epochs_log(self) -> Path:
        return self.logs / "epochs.csv"

    @property
    def text_log(self) -> Path:
        return self.logs / "train.log"

    @property
    def tensorboard(self) -> Path:
        return self.root / "tensorboard"

    def model_file(self, kind: GeneratorKind, ema: bool = True) -> Path:
        """One generator's `.keras` file: its live weights, or their exponential moving average."""
        return self.models / f"{kind}{'_ema' if ema else ''}.keras"

    def has_generator(self, kind: GeneratorKind) -> bool:
        """Whether the run holds a `kind` generator (live or averaged)."""
        return any(self.model_file(kind, ema).is_file() for ema in (True, False))

    def stored_config(self) -> dict[str, Any] | None:
        """The run's `config.yaml` as plain data, or None when there is none (a folder of models, not a run).

        Raises:
            ModelError: the file is unreadable or not a YAML mapping.
        """
        if not self.config_file.is_file():
            return None
        try:
            raw = yaml.safe_load(self.config_file.read_text())
        except (OSError, yaml.YAMLError) as err:
            raise ModelError(f"{self.config_file}: not a readable YAML file ({' '.join(str(err).split())})") from None
        if not isinstance(raw, dict):
            raise ModelError(f"{self.config_file}: not a YAML mapping of config sections")
        return raw

    def create(self) -> None:
        """Makes the folders a run writes into."""
        for folder in (self.checkpoints, self.models, self.samples, self.logs):
            folder.mkdir(parents=True, exist_ok=True)


__all__ = ["GeneratorKind", "RunDir"]
