"""Typed experiment configuration: a YAML file becomes a tree of dataclasses, validated at load.

Every error names the file and the dotted key (`training.batch_size`), so a typo never silently becomes a
default. Overrides from the command line use the same dotted keys: `--set training.batch_size=8`.

Example:
    >>> cfg = load_config("configs/demo.yaml", overrides=["training.steps=10"])
    >>> cfg.training.steps
    10
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Sequence

import yaml

from tfsr.errors import ConfigError
from tfsr.faces.framing import FACE_MARGIN
from tfsr.tflite.metadata import FORMATS, ExportFormat

Variant = Literal["paper", "official"]
Stage = Literal["high_to_low", "low_to_high", "joint"]
Degradation = Literal["learned", "bilinear", "blur_bilinear"]
Strategy = Literal["auto", "one_device", "mirrored", "multi_worker"]
Precision = Literal["float32", "mixed_bfloat16", "mixed_float16"]


# --------------------------------------------------------------------------------------------- model
@dataclass
class HighToLowConfig:
    """Widths of the High-to-Low generator (paper sec. 3.3).

    Args:
        filters: channels of every residual block.
        noise_dim: length of the noise vector z.
        blocks_per_group: residual blocks in each of the 6 groups.
        input_skip: predict a correction of AvgPool4(HR) with a zero-initialised head (tfsr; not the paper).
        degradation_prior: an explicit blur and sensor-noise model whose levels z draws and the GAN learns
            (`tfsr.layers.DegradationPrior`; tfsr, not the paper); needs `input_skip`.
    """

    filters: int = 64
    noise_dim: int = 64
    blocks_per_group: int = 2
    input_skip: bool = False
    degradation_prior: bool = False


@dataclass
class LowToHighConfig:
    """Widths of the paper's Low-to-High generator (paper sec. 3.4).

    Args:
        group_filters: channels of each group; groups after the first start with a bilinear x2.
        group_blocks: residual blocks in each group.
        align_corners: bilinear sampling convention of the upsampling layers.
        input_skip: predict a correction of bicubic(LR) with a zero-initialised head (tfsr; not the paper).
    """

    group_filters: list[int] = field(default_factory=lambda: [256, 128, 96])
    group_blocks: list[int] = field(default_factory=lambda: [12, 3, 2])
    align_corners: bool = False
    input_skip: bool = False


@dataclass
class DiscriminatorConfig:
    """Width of both discriminators (paper fig. 5).

    Args:
        filters: channels of the 6 residual blocks.
        power_iterations: power-iteration steps of spectral normalisation per training call.
    """

    filters: int = 128
    power_iterations: int = 1


@dataclass
class ModelConfig:
    """The four networks.

    Args:
        variant: `paper` (the text's Low-to-High) or `official` (the authors' released layout).
        hr_size: side of the high-resolution faces (the Low-to-High output).
        scale: super-resolution factor; the low-resolution side is `hr_size // scale`.
        bn_epsilon: BatchNorm epsilon of the generators (PyTorch's 1e-5, as the authors trained).
        bn_momentum: BatchNorm moving-average momentum in Keras' convention.
    """

    variant: Variant = "paper"
    hr_size: int = 64
    scale: int = 4
    bn_epsilon: float = 1e-5
    bn_momentum: float = 0.9
    high_to_low: HighToLowConfig = field(default_factory=HighToLowConfig)
    low_to_high: LowToHighConfig = field(default_factory=LowToHighConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)

    @property
    def lr_size(self) -> int:
        return self.hr_size // self.scale


# ---------------------------------------------------------------------------------------------- data
@dataclass
class AugmentConfig:
    """Random augmentation of high-resolution faces (paper sec. 3.6).

    Args:
        flip: random horizontal flip.
        scale: maximum relative zoom in or out (0.1 = 0.9x to 1.1x).
        rotation: maximum rotation in degrees.
        brightness: maximum brightness shift (in [0, 1] units).
        contrast: maximum relative contrast change.
        saturation: maximum relative saturation change.
        hue: maximum hue shift (in [0, 0.5]).
    """

    flip: bool = True
    scale: float = 0.1
    rotation: float = 10.0
    brightness: float = 0.1
    contrast: float = 0.1
    saturation: float = 0.1
    hue: float = 0.02


@dataclass
class DataConfig:
    """Where faces come from and how they are streamed.

    Args:
        demo: use the embedded demo set (no files needed); overrides the sources below.
        hr_dirs: folders of high-resolution face crops (or photos, prepared with `tfsr prepare`).
        hr_file_lists: text files with one high-resolution image path per line.
        hr_centre_crop: the central square of each high-resolution image that is used, as a fraction of its
            shorter side (1.0 for `tfsr prepare` crops; about 0.8 for CelebA's aligned 178x218 images).
        lr_dirs: folders of real low-resolution face crops.
        lr_file_lists: text files with one low-resolution image path per line.
        tfds_hr: a TFDS dataset name for HR faces (`celeb_a`), built offline.
        tfds_lr: a TFDS dataset name for LR faces (`wider_face`), built offline.
        tfds_data_dir: TFDS data dir; `tfds_manual_dir` holds the manually downloaded archives.
        tfds_manual_dir: folder with a TFDS dataset's downloaded archives (tfsr never downloads).
        wider_face_root: WIDER FACE in its official layout (`wider_face_split/`, `WIDER_train/images/`).
        wider_face_split: which official split gives the low-resolution faces.
        lr_max_face: keep WIDER FACE faces whose largest side is below this (pixels).
        lr_min_face: ... and at least this.
        lr_max_blur: ... whose blur label is at most this (0 clear, 1 normal, 2 heavy: 2 keeps all).
        lr_max_occlusion: ... whose occlusion label is at most this (0 none, 1 partial, 2 heavy).
        lr_keep_invalid: also keep faces that WIDER FACE marks invalid.
        crop_margin: how much larger than a face box's longest side its square crop is (default
            `tfsr.faces.FACE_MARGIN`, 0.25: 25 %), as in `tfsr enhance`, so training faces are framed like
            the faces the network later sees.
        augment: high-resolution augmentation.
        cache_dir: when set, decoded crops are cached there as sharded TFRecords and reused by later runs.
        seed: seed of shuffling and augmentation (what `tfsr train` passes to the dataset builders).
        test_fraction: fraction of faces held out for evaluation (by a stable hash of each file name).
    """

    demo: bool = False
    hr_dirs: list[str] = field(default_factory=list)
    hr_file_lists: list[str] = field(default_factory=list)
    hr_centre_crop: float = 1.0
    lr_dirs: list[str] = field(default_factory=list)
    lr_file_lists: list[str] = field(default_factory=list)
    tfds_hr: str | None = None
    tfds_lr: str | None = None
    tfds_data_dir: str | None = None
    tfds_manual_dir: str | None = None
    wider_face_root: str | None = None
    wider_face_split: Literal["train", "val"] = "train"
    lr_max_face: int = 37
    lr_min_face: int = 10
    lr_max_blur: int = 2
    lr_max_occlusion: int = 2
    lr_keep_invalid: bool = False
    crop_margin: float = FACE_MARGIN
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    cache_dir: str | None = None
    seed: int = 0
    test_fraction: float = 0.1


# ------------------------------------------------------------------------------------------ training
@dataclass
class OptimizerConfig:
    """Adam, as in the paper: lr 1e-4, beta1 0, beta2 0.9.

    Args:
        learning_rate: constant learning rate.
        beta_1: Adam's first-moment decay.
        beta_2: Adam's second-moment decay.
        epsilon: Adam's epsilon.
    """

    learning_rate: float = 1e-4
    beta_1: float = 0.0
    beta_2: float = 0.9
    epsilon: float = 1e-7


@dataclass
class TrainingConfig:
    """One training stage.

    Args:
        stage: `high_to_low` (stage 1), `low_to_high` (stage 2) or `joint` (stage 3 fine-tuning).
        degradation: where stage 2 gets its inputs: `learned` (a trained High-to-Low), or the table-1
            baselines `bilinear` and `blur_bilinear`.
        high_to_low_run: run dir (or `.keras` file) of a trained High-to-Low, for stages 2 and 3.
        low_to_high_run: run dir (or `.keras` file) of a trained Low-to-High, for stage 3.
        steps: generator updates in total.
        steps_per_epoch: generator updates per Keras epoch (checkpoints and sample grids follow epochs).
        batch_size: global batch of one step (n_critic discriminator updates and one generator update);
            each discriminator update sees `batch_size // n_critic` of it and the generator update the
            first of those parts, so it must divide by `n_critic` times the replica count.
        n_critic: discriminator updates per generator update.
        alpha: weight of the pixel loss.
        beta: weight of the GAN loss (0 gives the pixel-only baseline).
        d_augment: differentiable augmentations of every discriminator input (`translation`, `cutout`;
            DiffAugment), against a discriminator memorising a small real set; none in the paper.
        colour_anchor: weight of each generated image's mean colour against its pixel target's (0 in the
            paper): keeps High-to-Low from learning a colour cast that only tells the HR and LR sets apart.
        g_optimizer: generator optimizer.
        d_optimizer: discriminator optimizer.
        strategy: tf.distribute strategy.
        precision: Keras mixed-precision policy.
        jit_compile: XLA-compile the train step (not under a multi-replica strategy).
        ema_decay: decay of the exponential moving average of each generator's weights.
        checkpoint_every: generator updates between checkpoints.
        sample_every: generator updates between TensorBoard image grids.
        seed: seed of initialisation and noise.
    """

    stage: Stage = "high_to_low"
    degradation: Degradation = "learned"
    high_to_low_run: str | None = None
    low_to_high_run: str | None = None
    steps: int = 570_000
    steps_per_epoch: int = 2_286
    batch_size: int = 80
    n_critic: int = 5
    alpha: float = 1.0
    beta: float = 0.05
    d_augment: list[Literal["translation", "cutout"]] = field(default_factory=list)
    colour_anchor: float = 0.0
    g_optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    d_optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    strategy: Strategy = "auto"
    precision: Precision = "float32"
    jit_compile: bool = False
    ema_decay: float = 0.999
    checkpoint_every: int = 1000
    sample_every: int = 1000
    seed: int = 0


# -------------------------------------------------------------------------------------------- export
@dataclass
class ExportConfig:
    """Conversion of the Low-to-High generator to TFLite.

    Args:
        formats: which `.tflite` files to write.
        batch_size: the fixed batch of the batched signature.
        representative_size: faces used to calibrate int8.
        int8_io: int8 inputs and outputs for the int8 model (float I/O otherwise).
        int8_float_ops: TFLite operator types (e.g. `[ADD, MUL]`) that the int8 model keeps in float, the
            rest being int8: quality bought with speed where int8 everywhere loses too much.
    """

    formats: list[ExportFormat] = field(default_factory=lambda: list(FORMATS))
    batch_size: int = 8
    representative_size: int = 64
    int8_io: bool = False
    int8_float_ops: list[str] = field(default_factory=list)


@dataclass
class Config:
    """A whole experiment: one YAML file.

    Args:
        name: experiment name (used for run directories).
        model: the networks.
        data: the data sources and pipeline.
        training: the training stage.
        export: the TFLite export.
    """

    name: str = "tfsr"
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    export: ExportConfig = field(default_factory=ExportConfig)
    # The file this config came from, for error messages and relative paths; not a YAML key.
    source: str | None = field(default=None, metadata={"internal": True})

    def to_dict(self) -> dict[str, Any]:
        """The config as plain YAML-able data (what `tfsr train` writes into a run dir)."""
        return _to_plain(self)


# ------------------------------------------------------------------------------------------ checking
def _positive(where: str, key: str, value: float, allow_zero: bool = False) -> None:
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ConfigError(f"{where}: {key} must be {bound}, got {value}")


def validate(cfg: Config, where: str) -> None:
    """Checks the values that types alone cannot: sizes, ratios and their consistency."""
    m = cfg.model
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
    if m.scale != 4:
        raise ConfigError(f"{where}: model.scale must be 4 (the paper's 16x16 -> 64x64 networks), got {m.scale}")
    if m.hr_size % 16:
        raise ConfigError(
            f"{where}: model.hr_size must be a multiple of 16 (High-to-Low pools 4 times), got {m.hr_size}"
        )
    if m.variant == "official" and m.hr_size != 64:
        raise ConfigError(f"{where}: model.hr_size must be 64 for the official variant, got {m.hr_size}")
    l2h = m.low_to_high
    if len(l2h.group_filters) != len(l2h.group_blocks) or len(l2h.group_filters) != 3:
        raise ConfigError(
            f"{where}: model.low_to_high.group_filters and group_blocks need 3 entries each "
            f"(16x16, 32x32, 64x64), got {l2h.group_filters} and {l2h.group_blocks}"
        )
    for i, (f, b) in enumerate(zip(l2h.group_filters, l2h.group_blocks)):
        _positive(where, f"model.low_to_high.group_filters[{i}]", f)
        _positive(where, f"model.low_to_high.group_blocks[{i}]", b)

    d = cfg.data
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

    t = cfg.training
    for key in ("steps", "steps_per_epoch", "batch_size", "n_critic", "checkpoint_every", "sample_every"):
        _positive(where, f"training.{key}", getattr(t, key))
    for key in ("alpha", "beta"):
        _positive(where, f"training.{key}", getattr(t, key), allow_zero=True)
    if t.batch_size % t.n_critic:
        raise ConfigError(
            f"{where}: training.batch_size ({t.batch_size}) must be divisible by training.n_critic ({t.n_critic}): "
            "each discriminator update takes one slice of the batch"
        )
    if not 0 <= t.ema_decay < 1:
        raise ConfigError(f"{where}: training.ema_decay must be in [0, 1), got {t.ema_decay}")
    for name in ("g_optimizer", "d_optimizer"):
        o = getattr(t, name)
        _positive(where, f"training.{name}.learning_rate", o.learning_rate)
        _positive(where, f"training.{name}.epsilon", o.epsilon)
        for key in ("beta_1", "beta_2"):
            if not 0 <= getattr(o, key) < 1:
                raise ConfigError(f"{where}: training.{name}.{key} must be in [0, 1), got {getattr(o, key)}")
    if t.stage in ("low_to_high", "joint") and t.degradation == "learned" and t.high_to_low_run is None:
        raise ConfigError(
            f"{where}: training.high_to_low_run is required for stage '{t.stage}' with learned degradation"
        )
    if t.stage == "joint" and t.low_to_high_run is None:
        raise ConfigError(f"{where}: training.low_to_high_run is required for stage 'joint'")
    if t.stage == "joint" and t.degradation != "learned":
        raise ConfigError(f"{where}: stage 'joint' fine-tunes a learned degradation; training.degradation must be 'learned'")

    e = cfg.export
    if not e.formats:
        raise ConfigError(f"{where}: export.formats is empty")
    _positive(where, "export.batch_size", e.batch_size)
    _positive(where, "export.representative_size", e.representative_size)


# --------------------------------------------------------------------------------------- conversion
# A decimal number in YAML 1.2's spelling. PyYAML reads YAML 1.1, whose floats need a dot, so `1e-4` or `5E3`
# arrive as strings; where a float is expected these are taken as numbers, while `nan`, `inf`, `1,5` or `fast`
# stay refused (`.inf` and `.nan` are already floats when someone really means them).
_NUMBER = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return " | ".join(repr(a) for a in typing.get_args(tp))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is list:
        return f"list of {_type_name(typing.get_args(tp)[0])}"
    return getattr(tp, "__name__", str(tp))


def _convert(tp: Any, value: Any, key: str, where: str) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: {key} must be a mapping, got {value!r}")
        return _build(tp, value, key, where)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ConfigError(f"{where}: {key} must be one of {_type_name(tp)}, got {value!r}")
        return value
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _convert(arg, value, key, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: {key} must be {_type_name(tp)}, got {value!r}")
    if origin is list:
        if isinstance(value, (str, int, float)) and typing.get_args(tp)[0] is str:
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(f"{where}: {key} must be a {_type_name(tp)}, got {value!r}")
        (item,) = typing.get_args(tp)
        return [_convert(item, v, f"{key}[{i}]", where) for i, v in enumerate(value)]
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {key} must be true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}: {key} must be an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
            return float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}: {key} must be a number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {key} must be a string, got {value!r}")
        return value
    raise TypeError(f"unsupported config type {tp!r} for {key}")


def _build(cls: type, raw: dict[str, Any], prefix: str, where: str) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    kwargs = {}
    for k, v in raw.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if k not in fields:
            close = difflib.get_close_matches(str(k), list(fields), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(fields)})"
            raise ConfigError(f"{where}: unknown key '{key}'{hint}")
        kwargs[k] = _convert(hints[k], v, key, where)
    return cls(**kwargs)


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        return {
            f.name: _to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj) if not f.metadata.get("internal")
        }
    if isinstance(obj, list):
        return [_to_plain(v) for v in obj]
    return obj


def apply_override(raw: dict[str, Any], override: str, where: str = "--set") -> None:
    """Applies one `dotted.key=value` override (value parsed as YAML) to a raw config mapping."""
    if "=" not in override:
        raise ConfigError(f"{where}: override '{override}' must look like section.key=value")
    dotted, text = override.split("=", 1)
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as err:
        raise ConfigError(f"{where}: cannot parse the value of '{dotted}': {err}") from None
    node = raw
    parts = dotted.strip().split(".")
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ConfigError(f"{where}: '{dotted}': '{part}' is not a section")
        node = child
    node[parts[-1]] = value


def config_from_dict(raw: dict[str, Any], where: str = "<dict>") -> Config:
    """Builds and validates a `Config` from plain data; `where` names the source in errors."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: a config must be a mapping of sections, got {type(raw).__name__}")
    cfg = _build(Config, raw, "", where)
    cfg.source = where
    validate(cfg, where)
    return cfg


def _deep_merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_raw(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A YAML file's mapping, with its `base:` file (relative to it) merged underneath."""
    if not path.is_file():
        where = f"{chain[-1]}: base" if chain else str(path)
        raise ConfigError(f"{where}: no such config file: {path}" if chain else f"{path}: no such config file")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: a config must be a mapping of sections, got {type(raw).__name__}")
    base = raw.pop("base", None)
    if base is None:
        return raw
    if not isinstance(base, str):
        raise ConfigError(f"{path}: base must be the path of another config file, got {base!r}")
    base_path = (path.parent / base).resolve()
    if base_path in chain or base_path == path.resolve():
        raise ConfigError(f"{path}: base: {base} includes itself")
    return _deep_merge(_read_raw(base_path, (*chain, path.resolve())), raw)


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
    raw = _read_raw(path)
    for override in overrides:
        apply_override(raw, override, where=f"{path} (--set {override})")
    return config_from_dict(raw, str(path))
