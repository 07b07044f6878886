"""Building the networks of an experiment from its typed config."""

from __future__ import annotations

import importlib

import keras

from tfsr.config import ModelConfig
from tfsr.models.discriminator import Discriminator
from tfsr.models.high_to_low import HighToLowGenerator
from tfsr.models.low_to_high import LowToHighGenerator

# model.variant -> the Low-to-High class (module path, class name); a plain mapping, no import-time registry.
LOW_TO_HIGH_VARIANTS: dict[str, tuple[str, str]] = {
    "paper": ("tfsr.models.low_to_high", "LowToHighGenerator"),
    "official": ("tfsr.models.official_low_to_high", "OfficialLowToHighGenerator"),
}


def build_high_to_low(cfg: ModelConfig, name: str = "high_to_low") -> HighToLowGenerator:
    """The High-to-Low generator of `cfg`, built for `(B, hr, hr, 3)` faces and `(B, noise_dim)` noise."""
    h = cfg.high_to_low
    model = HighToLowGenerator(
        filters=h.filters,
        noise_dim=h.noise_dim,
        blocks_per_group=h.blocks_per_group,
        hr_size=cfg.hr_size,
        bn_epsilon=cfg.bn_epsilon,
        bn_momentum=cfg.bn_momentum,
        input_skip=h.input_skip,
        degradation_prior=h.degradation_prior,
        colour_lock=h.colour_lock,
        name=name,
    )
    model.build(((None, cfg.hr_size, cfg.hr_size, 3), (None, h.noise_dim)))
    return model


def build_low_to_high(cfg: ModelConfig, name: str = "low_to_high") -> keras.Model:
    """The Low-to-High generator of `cfg` (`paper` or `official` variant), built for `(B, lr, lr, 3)` faces."""
    if cfg.variant == "paper":
        l2h = cfg.low_to_high
        model: keras.Model = LowToHighGenerator(
            group_filters=l2h.group_filters,
            group_blocks=l2h.group_blocks,
            align_corners=l2h.align_corners,
            bn_epsilon=cfg.bn_epsilon,
            bn_momentum=cfg.bn_momentum,
            input_skip=l2h.input_skip,
            name=name,
        )
    else:
        module, cls = LOW_TO_HIGH_VARIANTS[cfg.variant]
        model = getattr(importlib.import_module(module), cls)(name=name)
    model.build((None, cfg.lr_size, cfg.lr_size, 3))
    return model


def build_discriminator(cfg: ModelConfig, input_size: int, name: str | None = None) -> Discriminator:
    """The discriminator for `input_size` (16: High-to-Low GAN, 64: Low-to-High GAN)."""
    d = cfg.discriminator
    model = Discriminator(
        input_size=input_size,
        filters=d.filters,
        power_iterations=d.power_iterations,
        name=name or f"discriminator_{input_size}",
    )
    model.build((None, input_size, input_size, 3))
    return model
