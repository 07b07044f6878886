"""What types alone cannot check: sizes, ratios and their consistency, one function per config section.

`tfsr.config.config_from_dict` runs them all at load time. Two checks are also asked for later, with
what only a running program knows, and are written once here for both uses: `check_batch` (the batch
against `n_critic` and, when training starts, the replica count) and `upstream_run_keys` (the earlier
stages a stage needs: named at load, present on disk when training starts).

Example:
    >>> from tfsr.config.schema import TrainingConfig
    >>> upstream_run_keys(TrainingConfig(stage="joint"))
    ['high_to_low_run', 'low_to_high_run']
"""

from __future__ import annotations

from pathlib import Path

from tfsr.config.schema import Config, DataConfig, ExportConfig, ModelConfig, TrainingConfig
from tfsr.errors import ConfigError
from tfsr.faces.framing import INPUT_SIDE, MODEL_SCALE, OUTPUT_SIDE


def _positive(where: str, key: str, value: float, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{where}: {key} must be {bound}, got {value}")


def check_batch(t: TrainingConfig, replicas: int, where: str) -> None:
    """Each of the `n_critic` discriminator updates takes the same slice of every replica's batch.

    Args:
        t: the training section.
        replicas: replicas of the distribution strategy (1 when only the file is checked).
        where: the config's source, for the message.

    Raises:
        ConfigError: `training.batch_size` is not a multiple of `n_critic * replicas`.
    """
    if t.batch_size % (t.n_critic * replicas) == 0:
        return
    if replicas == 1:
        raise ConfigError(
            f"{where}: training.batch_size ({t.batch_size}) must be divisible by training.n_critic ({t.n_critic}): "
            "each discriminator update takes one slice of the batch"
        )
    raise ConfigError(
        f"{where}: training.batch_size ({t.batch_size}) must be divisible by training.n_critic "
        f"({t.n_critic}) times the {replicas} replica(s) of training.strategy '{t.strategy}'"
    )


def upstream_run_keys(t: TrainingConfig) -> list[str]:
    """The `training.*_run` keys that the stage starts from: stage 2 and 3 with a learned degradation need a
    High-to-Low run, stage 3 also a Low-to-High run."""
    keys = []
    if t.stage in ("low_to_high", "joint") and t.degradation == "learned":
        keys.append("high_to_low_run")
    if t.stage == "joint":
        keys.append("low_to_high_run")
    return keys


def check_upstream_exists(t: TrainingConfig, where: str) -> None:
    """Fails fast, naming the key, when a run or `.keras` file that the stage starts from is missing.

    (Their kind and widths are checked when the stage loads them.)

    Raises:
        ConfigError: `training.high_to_low_run` or `training.low_to_high_run` names nothing.
    """
    for key in upstream_run_keys(t):
        path = getattr(t, key)
        if not Path(path).expanduser().exists():
            raise ConfigError(f"{where}: training.{key}: no such run directory or .keras file: {path}")


def validate_model(m: ModelConfig, where: str) -> None:
    """The networks' widths and shapes.

    Raises:
        ConfigError: naming the `model.` key.
    """
    for key, value in [
        ("model.hr_size", m.hr_size),
        ("model.scale", m.scale),
        ("model.high_to_low.filters", m.high_to_low.filters),
        ("model.high_to_low.noise_dim", m.high_to_low.noise_dim),
        ("model.high_to_low.blocks_per_group", m.high_to_low.blocks_per_group),
        ("model.discriminator.filters", m.discriminator.filters),
        ("model.discriminator.power_iterations", m.discriminator.power_iterations),
        ("model.bn_epsilon", m.bn_epsilon),
    ]:
        _positive(where, key, value)
    if not 0 <= m.bn_momentum < 1:
        raise ConfigError(f"{where}: model.bn_momentum must be in [0, 1), got {m.bn_momentum}")
    if m.high_to_low.degradation_prior and not m.high_to_low.input_skip:
        raise ConfigError(
            f"{where}: model.high_to_low.degradation_prior needs model.high_to_low.input_skip: true "
            "(the prior blurs the skip's base)"
        )
    if m.scale != MODEL_SCALE:
        raise ConfigError(
            f"{where}: model.scale must be {MODEL_SCALE} (the paper's {INPUT_SIDE}x{INPUT_SIDE} -> "
            f"{OUTPUT_SIDE}x{OUTPUT_SIDE} networks), got {m.scale}"
        )
    if m.hr_size % 16:
        raise ConfigError(
            f"{where}: model.hr_size must be a multiple of 16 (High-to-Low pools 4 times), got {m.hr_size}"
        )
    if m.variant == "official" and m.hr_size != OUTPUT_SIDE:
        raise ConfigError(f"{where}: model.hr_size must be {OUTPUT_SIDE} for the official variant, got {m.hr_size}")
    l2h = m.low_to_high
    if len(l2h.group_filters) != len(l2h.group_blocks) or len(l2h.group_filters) != 3:
        raise ConfigError(
            f"{where}: model.low_to_high.group_filters and group_blocks need 3 entries each "
            f"(16x16, 32x32, 64x64), got {l2h.group_filters} and {l2h.group_blocks}"
        )
    for i, (f, b) in enumerate(zip(l2h.group_filters, l2h.group_blocks)):
        _positive(where, f"model.low_to_high.group_filters[{i}]", f)
        _positive(where, f"model.low_to_high.group_blocks[{i}]", b)


def validate_data(d: DataConfig, where: str) -> None:
    """Face-size ranges, fractions, augmentation bounds, and that local data paths exist.

    Raises:
        ConfigError: naming the `data.` key.
    """
    if d.lr_min_face > d.lr_max_face:
        raise ConfigError(f"{where}: data.lr_min_face ({d.lr_min_face}) exceeds data.lr_max_face ({d.lr_max_face})")
    _positive(where, "data.crop_margin", d.crop_margin, allow_zero=True)
    if not 0 < d.hr_centre_crop <= 1:
        raise ConfigError(f"{where}: data.hr_centre_crop must be in (0, 1], got {d.hr_centre_crop}")
    for key in ("lr_max_blur", "lr_max_occlusion"):
        if getattr(d, key) not in (0, 1, 2):
            raise ConfigError(f"{where}: data.{key} must be 0, 1 or 2, got {getattr(d, key)}")
    if d.tfds_hr not in (None, "celeb_a"):
        raise ConfigError(f"{where}: data.tfds_hr must be 'celeb_a', got {d.tfds_hr!r}")
    if d.tfds_lr not in (None, "wider_face"):
        raise ConfigError(f"{where}: data.tfds_lr must be 'wider_face', got {d.tfds_lr!r}")
    if not 0 <= d.test_fraction < 1:
        raise ConfigError(f"{where}: data.test_fraction must be in [0, 1), got {d.test_fraction}")
    a = d.augment
    for key in ("scale", "rotation", "brightness", "contrast", "saturation", "hue"):
        _positive(where, f"data.augment.{key}", getattr(a, key), allow_zero=True)
    if a.scale >= 1:
        raise ConfigError(f"{where}: data.augment.scale must be < 1, got {a.scale}")
    if a.hue > 0.5:
        raise ConfigError(f"{where}: data.augment.hue must be <= 0.5, got {a.hue}")
    # Relative data paths are taken from the working directory, as a shell user expects.
    if not d.demo:
        for key in ("hr_dirs", "lr_dirs", "hr_file_lists", "lr_file_lists"):
            for i, p in enumerate(getattr(d, key)):
                if not Path(p).expanduser().exists():
                    raise ConfigError(f"{where}: data.{key}[{i}]: no such file or folder: {p}")
        for key in ("wider_face_root", "tfds_data_dir", "tfds_manual_dir"):
            p = getattr(d, key)
            if p is not None and not Path(p).expanduser().exists():
                raise ConfigError(f"{where}: data.{key}: no such folder: {p}")


def validate_training(t: TrainingConfig, where: str) -> None:
    """Step counts, the batch against n_critic, optimiser ranges, and the stages it needs.

    Raises:
        ConfigError: naming the `training.` key.
    """
    for key in ("steps", "steps_per_epoch", "batch_size", "n_critic", "checkpoint_every", "sample_every"):
        _positive(where, f"training.{key}", getattr(t, key))
    for key in ("alpha", "beta"):
        _positive(where, f"training.{key}", getattr(t, key), allow_zero=True)
    check_batch(t, replicas=1, where=where)
    if not 0 <= t.ema_decay < 1:
        raise ConfigError(f"{where}: training.ema_decay must be in [0, 1), got {t.ema_decay}")
    for name in ("g_optimizer", "d_optimizer"):
        o = getattr(t, name)
        _positive(where, f"training.{name}.learning_rate", o.learning_rate)
        _positive(where, f"training.{name}.epsilon", o.epsilon)
        for key in ("beta_1", "beta_2"):
            if not 0 <= getattr(o, key) < 1:
                raise ConfigError(f"{where}: training.{name}.{key} must be in [0, 1), got {getattr(o, key)}")
    for key in upstream_run_keys(t):
        if getattr(t, key) is None:
            why = "for stage 'joint'" if key == "low_to_high_run" else f"for stage '{t.stage}' with learned degradation"
            raise ConfigError(f"{where}: training.{key} is required {why}")
    if t.stage == "joint" and t.degradation != "learned":
        raise ConfigError(
            f"{where}: stage 'joint' fine-tunes a learned degradation; training.degradation must be 'learned'"
        )


def validate_export(e: ExportConfig, where: str) -> None:
    """Formats and batch sizes of the TFLite export.

    Raises:
        ConfigError: naming the `export.` key.
    """
    if not e.formats:
        raise ConfigError(f"{where}: export.formats is empty")
    _positive(where, "export.batch_size", e.batch_size)
    _positive(where, "export.representative_size", e.representative_size)


def validate(cfg: Config, where: str) -> None:
    """Runs every section's checks; `where` (the file) starts each message."""
    validate_model(cfg.model, where)
    validate_data(cfg.data, where)
    validate_training(cfg.training, where)
    validate_export(cfg.export, where)


__all__ = [
    "check_batch", "check_upstream_exists", "upstream_run_keys", "validate", "validate_data", "validate_export",
    "validate_model", "validate_training",
]
