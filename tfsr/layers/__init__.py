"""Custom Keras layers of the paper's networks (registered with Keras on import)."""

from tfsr.layers.pixel_shuffle import PixelShuffle
from tfsr.layers.residual import DiscriminatorResidualBlock, GeneratorResidualBlock
from tfsr.layers.spectral_norm import SpectralConv2D, SpectralDense, SpectralNormalized
from tfsr.layers.upsampling import BilinearUpsampling

__all__ = [
    "BilinearUpsampling",
    "DiscriminatorResidualBlock",
    "GeneratorResidualBlock",
    "PixelShuffle",
    "SpectralConv2D",
    "SpectralDense",
    "SpectralNormalized",
]
