"""The paper's networks, one module each, and builders from a config."""

from tfsr.models.builders import build_discriminator, build_high_to_low, build_low_to_high
from tfsr.models.discriminator import Discriminator
from tfsr.models.high_to_low import HighToLowGenerator
from tfsr.models.loading import generator_path, load_generator, load_low_to_high
from tfsr.models.low_to_high import LowToHighGenerator
from tfsr.models.official_low_to_high import OfficialLowToHighGenerator

__all__ = [
    "Discriminator",
    "HighToLowGenerator",
    "LowToHighGenerator",
    "OfficialLowToHighGenerator",
    "build_discriminator",
    "build_high_to_low",
    "build_low_to_high",
    "generator_path",
    "load_generator",
    "load_low_to_high",
]
