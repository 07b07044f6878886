"""Custom Keras layers of the paper's networks (registered with Keras on import)."""

from tfsr.layers.degradation_prior import DegradationPrior
from tfsr.layers.input_skip import InputSkip
from tfsr.layers.pixel_shuffle import PixelShuffle
from tfsr.layers.residual import DiscriminatorResidualBlock, GeneratorResidualBlock
from tfsr.layers.spectral_norm import SpectralConv2D, SpectralDense, SpectralNormalized
from tfsr.layers.upsampling import BicubicUpsampling, BilinearUpsampling

__all__ = [
    "BicubicUpsampling",
    "BilinearUpsampling",
    "DegradationPrior",
    "DiscriminatorResidualBlock",
    "GeneratorResidualBlock",
    "InputSkip",
    "PixelShuffle",
    "SpectralConv2D",
    "SpectralDense",
    "SpectralNormalized",
]
