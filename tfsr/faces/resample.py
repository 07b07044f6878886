"""Resampling: exact-rule area and bilinear resizes for faces, and the background upscaler of `enhance`.

Face resizes are pure numpy, mirrored by the Android core (`android_demo/core`): weights are computed and
applied in float64 and the result is cast to float32 once, so numpy and Java agree to float32 rounding
whatever order they sum in.

The background of an enhanced picture (everything but the super-resolved faces) is enlarged by
`upscale`: OpenCV's bicubic (`INTER_CUBIC`). Measured against Lanczos, bilinear and nearest on seven real
photos shrunk by area and enlarged back (`benchmarks/enhance_quality.py`, docs/enhance.md "The background
resampler"): bicubic is within 0.14 dB PSNR-Y of Lanczos at x2 and x4 (32.57 vs 32.71, 28.45 vs 28.52) at
a fifth to an eighth of its time (4.1 vs 32.8 ms per output megapixel at x4), and 0.7-1.2 dB above bilinear. `upscale_window` computes any rectangle of that result
from a slice of the input, bit for bit, so a huge output can be written in tiles.

Example:
    >>> import numpy as np
    >>> upscale(np.zeros((30, 40, 3), np.uint8), 4).shape
    (120, 160, 3)
"""

from __future__ import annotations

import functools
import math

import cv2
import numpy as np

#: The background resampler, named as in the table of docs/enhance.md.
BACKGROUND_RESAMPLER = "bicubic"
# A bicubic output pixel reads the 4x4 input pixels around its source position; 3 input pixels of context
# around a window cover them at any scale >= 1.
_CUBIC_CONTEXT = 3

# Faces of a video keep their square's side for frames on end, and the weights' Python loops cost more
# than applying them (0.1-0.3 ms per face and axis), so weights are computed once per pair of sizes and
# shared (hence read-only).
_WEIGHTS_CACHE = 64


@functools.lru_cache(maxsize=_WEIGHTS_CACHE)
def area_weights(n_in: int, n_out: int) -> np.ndarray:
    """Area-averaging weights from `n_in` samples to `n_out` samples, float64 `n_out x n_in` (read-only).

    Output sample `i` covers the input interval `[lo, hi)` with `lo = i * n_in / n_out` and
    `hi = (i + 1) * n_in / n_out` (integer product, then one float64 division). Input pixel `j` covers
    `[j, j + 1)`; its weight is `overlap * n_out / n_in` with `overlap = min(hi, j + 1) - max(lo, j)`
    (evaluated as `(overlap * n_out) / n_in`), so every row sums to 1. This is exact area averaging for
    downscaling; for upscaling the same rule gives each output pixel the input pixel under it, or a
    coverage-weighted mix of the two it straddles.
    """
    if n_in < 1 or n_out < 1:
        raise ValueError(f"sizes must be >= 1, got {n_in} -> {n_out}")
    weights = np.zeros((n_out, n_in), np.float64)
    for i in range(n_out):
        lo = i * n_in / n_out
        hi = (i + 1) * n_in / n_out
        for j in range(math.floor(lo), min(math.ceil(hi), n_in)):
            overlap = min(hi, j + 1.0) - max(lo, float(j))
            if overlap > 0:
                weights[i, j] = overlap * n_out / n_in
    weights.flags.writeable = False
    return weights


@functools.lru_cache(maxsize=_WEIGHTS_CACHE)
def bilinear_weights(n_in: int, n_out: int) -> np.ndarray:
    """Bilinear weights with half-pixel centres, `n_in` samples to `n_out`, float64 `n_out x n_in` (read-only).

    Output sample `d` reads the input position `s = (d + 0.5) * n_in / n_out - 0.5` (evaluated as
    `((d + 0.5) * n_in) / n_out - 0.5`), clamped to `[0, n_in - 1]`; with `j = floor(s)`, `f = s - j`, it
    takes `1 - f` of pixel `j` and `f` of pixel `min(j + 1, n_in - 1)`. This is the usual "align corners
    off" bilinear resize without antialiasing; it is meant for upscaling.
    """
    if n_in < 1 or n_out < 1:
        raise ValueError(f"sizes must be >= 1, got {n_in} -> {n_out}")
    weights = np.zeros((n_out, n_in), np.float64)
    for d in range(n_out):
        s = min(max((d + 0.5) * n_in / n_out - 0.5, 0.0), n_in - 1.0)
        j = math.floor(s)
        f = s - j
        weights[d, j] += 1.0 - f
        weights[d, min(j + 1, n_in - 1)] += f
    weights.flags.writeable = False
    return weights


def _resample(img: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Apply separable weights: rows first, then columns, in float64; cast to float32 once at the end."""
    if img.ndim != 3:
        raise ValueError(f"expected an HxWxC image, got shape {img.shape}")
    # Two plain matrix products (BLAS): einsum's unoptimised loops took ~50 ms per pasted face.
    h, w, c = img.shape
    vertical = rows @ img.astype(np.float64).reshape(h, w * c)
    across = cols @ _swap_rows_and_columns(vertical.reshape(len(rows), w, c), np.float64).reshape(w, -1)
    return _swap_rows_and_columns(across.reshape(len(cols), len(rows), c), np.float32)


def _swap_rows_and_columns(img: np.ndarray, dtype: type) -> np.ndarray:
    """`img.transpose(1, 0, 2).astype(dtype)` as a new C-ordered array.

    Copied one channel at a time: a plain transposed copy runs numpy's innermost loop over the 3 channels
    and takes twice as long; and `astype` would keep the transposed layout, which makes every later
    elementwise operation against a C-ordered array (the pasted face against the frame) several times slower.
    """
    out = np.empty((img.shape[1], img.shape[0], img.shape[2]), dtype)
    for channel in range(img.shape[2]):
        out[:, :, channel] = img[:, :, channel].T
    return out


def area_resize(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Resize by exact area averaging: each output pixel is the coverage-weighted mean of the input under it.

    Separable: `area_weights(H, out_h)` along rows, then `area_weights(W, out_w)` along columns, summed
    in float64 and cast to float32 once (see the module docstring). Non-integer ratios give fractional
    coverage (3 -> 2 weighs the middle pixel 1/3 into each output); upscaling follows the same rule.

    Args:
        img: `HxWxC` array (float32 in [-1, 1] for the network, but any numeric dtype works).
        out_h: output height, `>= 1`.
        out_w: output width, `>= 1`.

    Returns:
        float32 `out_h x out_w x C`.
    """
    return _resample(img, area_weights(img.shape[0], out_h), area_weights(img.shape[1], out_w))


def resize_bilinear(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Bilinear resize with half-pixel centres (`bilinear_weights`), float64 sums, float32 result.

    Args:
        img: `HxWxC` numeric array.
        out_h: output height, `>= 1`.
        out_w: output width, `>= 1`.

    Returns:
        float32 `out_h x out_w x C`.
    """
    return _resample(img, bilinear_weights(img.shape[0], out_h), bilinear_weights(img.shape[1], out_w))


def resize_to_side(face: np.ndarray, side: int) -> np.ndarray:
    """Bring the generator's square output (64x64) to the face square's size before pasting.

    Rule: `side <= face side` uses `area_resize` (exact averaging, no aliasing when shrinking; equal sizes
    are returned unchanged); a larger side uses `resize_bilinear`.

    Args:
        face: square `SxSxC` float array (the generator output, in [-1, 1]).
        side: target side, `>= 1`.

    Returns:
        float32 `side x side x C`.
    """
    if face.ndim != 3 or face.shape[0] != face.shape[1]:
        raise ValueError(f"expected a square SxSxC face, got shape {face.shape}")
    if side <= face.shape[0]:
        return area_resize(face, side, side)
    return resize_bilinear(face, side, side)


def upscale(image: np.ndarray, scale: int) -> np.ndarray:
    """The picture enlarged `scale` times by the background resampler (bicubic); `scale == 1` copies it.

    Args:
        image: uint8 `HxW` or `HxWxC` (C up to 4).
        scale: a positive integer.

    Returns:
        uint8 `(H * scale) x (W * scale)` of the same channels.
    """
    return upscale_window(image, scale, (0, 0, image.shape[0] * scale, image.shape[1] * scale))


def upscale_window(image: np.ndarray, scale: int, window: tuple[int, int, int, int]) -> np.ndarray:
    """Rows `[top, bottom)` and columns `[left, right)` of `upscale(image, scale)`, from a slice of `image`.

    A bicubic output pixel depends only on the input pixels around its source position, and for an integer
    scale OpenCV's weights repeat every `scale` pixels, so resizing the input slice under the window (with
    `_CUBIC_CONTEXT` pixels around it, or the picture's own edge) and cutting the window out gives exactly
    the pixels of the whole enlargement (tested). Memory is the window's, not the output's.

    Args:
        image: uint8 `HxW` or `HxWxC`.
        scale: a positive integer.
        window: `(top, left, bottom, right)` in output pixels, inside `[0, H * scale] x [0, W * scale]`.

    Returns:
        uint8 `(bottom - top) x (right - left)` (x C).
    """
    if not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    top, left, bottom, right = window
    h, w = image.shape[:2]
    if not (0 <= top < bottom <= h * scale and 0 <= left < right <= w * scale):
        raise ValueError(f"window {window} is not inside the {h * scale}x{w * scale} output")
    if scale == 1:
        return image[top:bottom, left:right].copy()
    # The input rows/columns under the window, with context, snapped to whole input pixels.
    r0 = max(top // scale - _CUBIC_CONTEXT, 0)
    c0 = max(left // scale - _CUBIC_CONTEXT, 0)
    r1 = min(-(-bottom // scale) + _CUBIC_CONTEXT, h)
    c1 = min(-(-right // scale) + _CUBIC_CONTEXT, w)
    part = np.ascontiguousarray(image[r0:r1, c0:c1])
    big = cv2.resize(part, ((c1 - c0) * scale, (r1 - r0) * scale), interpolation=cv2.INTER_CUBIC)
    big = big.reshape(big.shape[:2] + image.shape[2:])  # OpenCV drops a channel axis of 1
    return big[top - r0 * scale : bottom - r0 * scale, left - c0 * scale : right - c0 * scale].copy()


__all__ = [
    "BACKGROUND_RESAMPLER", "area_resize", "area_weights", "bilinear_weights", "resize_bilinear",
    "resize_to_side", "upscale", "upscale_window",
]
