"""PSNR and SSIM of super-resolved faces against their ground truth, on 8-bit images.

Pinned protocol (the LS3D-W column of the paper's table 1):

- Both images are `uint8` (network outputs in [-1, 1] are quantised as saving would:
  `tfsr.pixels.to_uint8`, half up), compared as float64 on [0, 255]; no border is cropped (64x64 faces have
  little border to spare).
- `rgb`: over all three channels. `y`: on the BT.601 luma of studio range,
  `Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255` (R, G, B in [0, 255]), the usual choice of
  super-resolution papers.
- PSNR = `10 log10(255^2 / MSE)` per image, then averaged over images; identical images score
  `inf` and are reported as such.
- SSIM (Wang et al. 2004): 11x11 Gaussian window, sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255, population
  (co)variances, averaged over the window positions that fit inside the image ("valid"), per channel
  and then over channels (RGB), then over images.
- Low-resolution inputs of the pairs: `tfsr.data.degrade.bilinear` (bilinear, no anti-aliasing), the same
  operator the bilinear-trained baseline sees in training.
- Reference upsamplers of real pairs (`upsampled`): `tf.image.resize` of the LR faces by `scale`,
  `bicubic` or `bilinear`, half-pixel centres, clipped to [-1, 1] (anti-aliasing does not apply when
  enlarging).

Example:
    >>> psnr(sr, hr, channel="y")  # doctest: +SKIP
    24.3
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import ndimage

from tfsr.data import degrade
from tfsr.evaluation.fid import quantise
from tfsr.pixels import to_unit

Channel = Literal["rgb", "y"]

_PEAK = 255.0
_SSIM_SIGMA = 1.5
_SSIM_RADIUS = 5  # an 11x11 window
_K1, _K2 = 0.01, 0.03
_BT601 = np.array([65.481, 128.553, 24.966]) / 255.0


def rgb_to_y(images: np.ndarray) -> np.ndarray:
    """BT.601 studio-range luma `[..., H, W]` (in [16, 235]) of uint8 RGB `[..., H, W, 3]`, as float64."""
    return 16.0 + np.asarray(images, np.float64) @ _BT601


def _planes(images: np.ndarray, channel: Channel) -> np.ndarray:
    """`[N, C, H, W]` float64 planes of `[N, H, W, 3]` images (C = 3 for rgb, 1 for y)."""
    x = quantise(images)
    if x.ndim == 3:
        x = x[None]
    if channel == "y":
        return rgb_to_y(x)[:, None]
    if channel == "rgb":
        return np.moveaxis(x.astype(np.float64), -1, 1)
    raise ValueError(f"channel must be 'rgb' or 'y', got {channel!r}")


def _check_pair(a: np.ndarray, b: np.ndarray) -> None:
    if np.shape(a) != np.shape(b):
        raise ValueError(f"images to compare differ in shape: {np.shape(a)} vs {np.shape(b)}")


def psnr_per_image(images: np.ndarray, references: np.ndarray, channel: Channel = "rgb") -> np.ndarray:
    """PSNR in dB of each image of `[N, H, W, 3]` against its reference (inf where identical)."""
    _check_pair(images, references)
    a, b = _planes(images, channel), _planes(references, channel)
    mse = np.mean((a - b) ** 2, axis=(1, 2, 3))
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(_PEAK**2 / mse)


def psnr(images: np.ndarray, references: np.ndarray, channel: Channel = "rgb") -> float:
    """Mean over images of `psnr_per_image`."""
    return float(np.mean(psnr_per_image(images, references, channel)))


def _window(sigma: float = _SSIM_SIGMA, radius: int = _SSIM_RADIUS) -> np.ndarray:
    r = np.arange(-radius, radius + 1, dtype=np.float64)
    g = np.exp(-(r**2) / (2 * sigma**2))
    g /= g.sum()
    return np.outer(g, g)


def _local_mean(planes: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Window-weighted means over `[N, C, H, W]`, kept only where the window fits ('valid')."""
    r = window.shape[0] // 2
    out = ndimage.correlate(planes, window[None, None], mode="constant")
    return out[..., r:-r, r:-r]


def ssim_per_image(images: np.ndarray, references: np.ndarray, channel: Channel = "rgb") -> np.ndarray:
    """SSIM of each image of `[N, H, W, 3]` against its reference (see the module docstring).

    Raises:
        ValueError: the shapes differ, or the images are smaller than the 11x11 window.
    """
    _check_pair(images, references)
    a, b = _planes(images, channel), _planes(references, channel)
    window = _window()
    if min(a.shape[-2:]) < window.shape[0]:
        raise ValueError(f"SSIM needs images of at least {window.shape[0]}x{window.shape[0]}, got {a.shape[-2:]}")
    mu_a, mu_b = _local_mean(a, window), _local_mean(b, window)
    var_a = _local_mean(a * a, window) - mu_a**2
    var_b = _local_mean(b * b, window) - mu_b**2
    cov = _local_mean(a * b, window) - mu_a * mu_b
    c1, c2 = (_K1 * _PEAK) ** 2, (_K2 * _PEAK) ** 2
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return s.mean(axis=(2, 3)).mean(axis=1)


def ssim(images: np.ndarray, references: np.ndarray, channel: Channel = "rgb") -> float:
    """Mean over images of `ssim_per_image`."""
    return float(np.mean(ssim_per_image(images, references, channel)))


def bilinear_inputs(hr: np.ndarray, scale: int = 4) -> np.ndarray:
    """Low-resolution inputs of the bilinear protocol: `[N, H/scale, W/scale, 3]` float32 in [-1, 1]."""
    x = to_unit(quantise(hr))
    return np.asarray(degrade.bilinear(x, scale))


def upsampled(lr: np.ndarray, scale: int = 4, method: str = "bicubic") -> np.ndarray:
    """Low-resolution faces enlarged by `scale` with `tf.image.resize`: `[N, h*scale, w*scale, 3]` float32 in [-1, 1].

    Args:
        lr: `[N, h, w, 3]` uint8 faces, or floats in [-1, 1] (quantised first, as saving would).
        scale: enlargement factor.
        method: a `tf.image.resize` method (`bicubic`, `bilinear`).
    """
    import tensorflow as tf

    x = to_unit(quantise(lr))
    out = tf.image.resize(x, (x.shape[1] * scale, x.shape[2] * scale), method)
    # Bicubic overshoots at edges; clip as the network's tanh-bounded outputs are.
    return np.asarray(tf.clip_by_value(out, -1.0, 1.0))


def quality(sr: np.ndarray, hr: np.ndarray) -> dict[str, float]:
    """PSNR and SSIM, RGB and Y, of super-resolved faces against ground truth."""
    return {
        "psnr_rgb": psnr(sr, hr, "rgb"),
        "psnr_y": psnr(sr, hr, "y"),
        "ssim_rgb": ssim(sr, hr, "rgb"),
        "ssim_y": ssim(sr, hr, "y"),
    }
