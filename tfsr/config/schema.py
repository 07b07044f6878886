"""The experiment's schema: one dataclass per YAML section, with the paper's values as defaults.

A YAML file *is* the experiment (as BasicSR's options files are): `model`, `data`, `training` and
`export` sections, each a dataclass here whose docstring says what every key means. Types are checked by
`tfsr.config.typed_yaml` while loading; the checks types cannot express, by `tfsr.config.validation`.

Example:
    >>> Config().training.n_critic, Config().export.formats[0]
    (5, 'fp32')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tfsr.config.typed_yaml import to_plain
from tfsr.faces.framing import FACE_MARGIN, MODEL_SCALE, OUTPUT_SIDE
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
        colour_lock: each output keeps its input face's mean colour exactly (tfsr, not the paper): a colour
            cast that only tells the HR set from the real LR set is not learned as degradation.
    """

    filters: int = 64
    noise_dim: int = 64
    blocks_per_group: int = 2
    input_skip: bool = False
    degradation_prior: bool = False
    colour_lock: bool = False


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
    hr_size: int = OUTPUT_SIDE
    scale: int = MODEL_SCALE
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
        cache_dir: when set, decoded crops are cached there as memory-mapped `.npy` files (`tfsr.data.cache`),
            keyed by their sources and sizes, and reused by later runs.
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
        return to_plain(self)


__all__ = [
    "AugmentConfig", "Config", "DataConfig", "Degradation", "DiscriminatorConfig", "ExportConfig", "ExportFormat",
    "HighToLowConfig", "LowToHighConfig", "ModelConfig", "OptimizerConfig", "Precision", "Stage", "Strategy",
    "TrainingConfig", "Variant",
]
