"""Typed experiment configuration: a YAML file becomes a tree of dataclasses, validated at load.

Every error names the file and the dotted key (`training.batch_size`), so a typo never silently becomes a
default. Overrides from the command line use the same dotted keys: `--set training.batch_size=8`.

Three rooms, each with one job (as TF Model Garden keeps its `hyperparams` machinery apart from task
configs):

- `schema`: the sections as dataclasses (`Config`, `ModelConfig`, `DataConfig`, `TrainingConfig`, ...).
- `typed_yaml`: the generic loader (types, `base:` files, `key=value` overrides); it knows no section.
- `validation`: what types cannot check, one function per section, plus the two checks that training
  repeats with what it knows at run time (`check_batch`, `check_upstream_exists`).

This module joins them (`load_config`, `config_from_dict`) and keeps every name importable from
`tfsr.config` as before.

Example:
    >>> cfg = load_config("configs/demo.yaml", overrides=["training.steps=10"])
    >>> cfg.training.steps
    10
"""

from __future__ import annotations

import importlib.resources
from pathlib import Path
from typing import Any, Sequence

from tfsr.config.schema import (
    AugmentConfig,
    Config,
    DataConfig,
    Degradation,
    DiscriminatorConfig,
    ExportConfig,
    ExportFormat,
    HighToLowConfig,
    LowToHighConfig,
    ModelConfig,
    OptimizerConfig,
    Precision,
    Stage,
    Strategy,
    TrainingConfig,
    Variant,
)
from tfsr.config.typed_yaml import apply_override, build_dataclass, read_mapping
from tfsr.config.validation import check_batch, check_upstream_exists, upstream_run_keys, validate
from tfsr.errors import ConfigError


def config_from_dict(raw: dict[str, Any], where: str = "<dict>") -> Config:
    """Builds and validates a `Config` from plain data; `where` names the source in errors."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a config must be a mapping of sections, got {type(raw).__name__}")
    cfg = build_dataclass(Config, raw, "", where)
    cfg.source = where
    validate(cfg, where)
    return cfg


def load_config(path: str | Path, overrides: Sequence[str] = ()) -> Config:
    """Reads a YAML experiment file, applies `key=value` overrides, and validates the result.

    A file may start from another with `base: other.yaml` (a path relative to the file): its sections are
    merged key by key underneath, so stage configs share one model section instead of copying it.

    Args:
        path: the YAML file.
        overrides: dotted `section.key=value` strings (values are parsed as YAML).

    Returns:
        The typed, validated config.

    Raises:
        ConfigError: the file is missing or not YAML, or a key or value is wrong (the message names it).
    """
    path = Path(path)
    raw = read_mapping(path)
    for override in overrides:
        apply_override(raw, override, where=f"{path} (--set {override})")
    return config_from_dict(raw, str(path))


def bundled_configs() -> Path:
    """The folder of YAML experiments shipped with tfsr (`configs/` of the repository, package `tfsr.configs`).

    Found through the import system, so it works from an installed wheel as from a checkout.

    Example:
        >>> (bundled_configs() / "demo_stage1.yaml").is_file()
        True
    """
    return Path(str(importlib.resources.files("tfsr.configs")))


__all__ = [
    "AugmentConfig", "Config", "ConfigError", "DataConfig", "Degradation", "DiscriminatorConfig", "ExportConfig",
    "ExportFormat", "HighToLowConfig", "LowToHighConfig", "ModelConfig", "OptimizerConfig", "Precision", "Stage",
    "Strategy", "TrainingConfig", "Variant", "apply_override", "bundled_configs", "check_batch",
    "check_upstream_exists", "config_from_dict", "load_config", "upstream_run_keys", "validate",
]
