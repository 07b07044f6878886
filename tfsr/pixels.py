"""The network's pixel convention, the one place it is written: uint8 RGB <-> float32 in [-1, 1].

`to_unit` is `x / 127.5 - 1`; `to_uint8` is its inverse rounded half up, `floor((x + 1) * 127.5 + 0.5)`,
clipped to [0, 255]. Half up (not numpy's half to even) because the Android core (`Pixels.java`) does the
same in Java, where it is the natural rule, and phone and desktop must write the same pixels. Every step
is float32, so `to_uint8(to_unit(p)) == p` for every uint8 `p`. This module is the lowest layer: it
imports nothing of tfsr.

Example:
    >>> to_uint8(to_unit(np.arange(256, dtype=np.uint8))).tolist() == list(range(256))
    True
"""

from __future__ import annotations

import numpy as np

_HALF_RANGE = np.float32(127.5)
_ONE = np.float32(1.0)


def to_unit(images: np.ndarray) -> np.ndarray:
    """uint8 pixels -> float32 in [-1, 1], computed in float32 as `float32(x) / 127.5 - 1`.

    Example:
        >>> to_unit(np.array([0, 255], np.uint8)).tolist()
        [-1.0, 1.0]
    """
    out = np.asarray(images).astype(np.float32)
    np.divide(out, _HALF_RANGE, out=out)
    return np.subtract(out, _ONE, out=out)


def to_levels(images: np.ndarray) -> np.ndarray:
    """float in [-1, 1] -> float32 pixel levels `clip((x + 1) * 127.5, 0, 255)`, not rounded (for blending).

    Example:
        >>> to_levels(np.array([-2.0, 0.0, 1.0])).tolist()
        [0.0, 127.5, 255.0]
    """
    out = np.asarray(images).astype(np.float32)
    out += _ONE
    out *= _HALF_RANGE
    return np.clip(out, 0, 255, out=out)


def to_uint8(images: np.ndarray) -> np.ndarray:
    """float in [-1, 1] -> uint8 pixels: `floor(to_levels(x) + 0.5)` (half up); NaN becomes 0.

    uint8 input is returned as it is, so callers can pass faces that were never converted.

    Example:
        >>> to_uint8(np.array([-1.0, 0.0, 1.0, np.nan])).tolist()
        [0, 128, 255, 0]
    """
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    levels = to_levels(images)
    levels += np.float32(0.5)
    np.floor(levels, out=levels)
    return np.nan_to_num(levels, nan=0.0).astype(np.uint8)


__all__ = ["to_levels", "to_uint8", "to_unit"]
