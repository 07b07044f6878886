"""The network's pixel convention: uint8 RGB <-> float32 in [-1, 1] (x / 127.5 - 1), rounding to nearest."""

from __future__ import annotations

import numpy as np


def to_unit(images: np.ndarray) -> np.ndarray:
    """uint8 pixels -> float32 in [-1, 1].

    Example:
        >>> to_unit(np.array([0, 255], np.uint8)).tolist()
        [-1.0, 1.0]
    """
    return np.asarray(images).astype(np.float32) / np.float32(127.5) - np.float32(1.0)


def to_uint8(images: np.ndarray) -> np.ndarray:
    """float in [-1, 1] -> uint8 pixels, rounded to nearest (half to even) and clipped, as saving would make them.

    Example:
        >>> to_uint8(np.array([-1.0, 0.0, 1.0])).tolist()
        [0, 128, 255]
    """
    return np.clip(np.round((np.asarray(images, np.float32) + 1.0) * 127.5), 0, 255).astype(np.uint8)
