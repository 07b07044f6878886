"""How a face is framed: the square cut around a detected box, and the generator's 16x16 input from it.

One framing for every part of tfsr: `tfsr prepare` and the training sources cut their crops with it
(`data.crop_margin`), `tfsr enhance` feeds the generator with it, and the Android core
(`android_demo/core`, `SquareBox.java`, called with `FacePipeline.kt`'s `MARGIN`) mirrors it. A model fed
faces framed unlike its training crops sees smaller or larger faces than it learnt, so the margin is one
constant, `FACE_MARGIN`, and a test checks that the three places agree.

Rounding rules are spelled out so that the Java side can reproduce them (float64 for the box, float32
for pixels; resampling in `tfsr.faces.resample`).

Example:
    >>> import numpy as np
    >>> frame = np.zeros((120, 160, 3), np.uint8)
    >>> x0, y0, side = square_box((40.0, 30.0, 50.0, 60.0), FACE_MARGIN, frame.shape[:2])
    >>> (x0, y0, side)
    (28, 23, 75)
    >>> face_input(frame, x0, y0, side).shape           # float32 in [-1, 1]
    (16, 16, 3)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tfsr.faces.resample import area_resize
from tfsr.pixels import to_unit

#: Extra fraction of a detected box's larger side cut around the face: the square's side is
#: `(1 + FACE_MARGIN) * max(w, h)`. YuNet's boxes hug the face from brow to chin; 25 % more keeps the
#: hairline and jaw in the crop, the framing the demo and paper-style training crops were made with.
FACE_MARGIN = 0.25
#: The Low-to-High generator's input side in pixels (the paper's 16x16 faces).
INPUT_SIDE = 16
#: How many times the Low-to-High generator enlarges a face (the paper's x4).
MODEL_SCALE = 4
#: The Low-to-High generator's output side, and the High-to-Low generator's input side.
OUTPUT_SIDE = INPUT_SIDE * MODEL_SCALE

Square = tuple[int, int, int]


def square_box(box_xywh: Sequence[float], margin: float, image_hw: Sequence[int]) -> Square:
    """The integer square, centred on a face box and enlarged by `margin`, that is cropped for the network.

    Rounding rule (all in float64): with `cx = x + w / 2`, `cy = y + h / 2`,
    `side = floor(max(w, h) * (1 + margin) + 0.5)` clamped to `[1, max(H, W)]`,
    `x0 = floor(cx - side / 2 + 0.5)` and `y0 = floor(cy - side / 2 + 0.5)`. So the side is rounded half
    up, and the square is placed so that its centre is the pixel grid position nearest to the box centre
    (ties to the right/bottom). The square may extend outside the image (`crop_square` replicates the
    edge there); the side is capped at the image's larger dimension because a bigger square would only
    add replicated border, and a runaway detection must not allocate a huge crop.

    Args:
        box_xywh: face box `(x, y, w, h)` in pixels, `(x, y)` its top-left corner; `w, h > 0`.
        margin: extra fraction of the box's larger side added around the face (`FACE_MARGIN`); `>= 0`.
        image_hw: `(H, W)` of the image the box belongs to.

    Returns:
        `(x0, y0, side)`: the square's top-left corner and side, in whole pixels.
    """
    x, y, w, h = (float(v) for v in box_xywh)
    if not all(math.isfinite(v) for v in (x, y, w, h)) or w <= 0 or h <= 0:
        raise ValueError(f"face box must be finite with positive width and height, got {tuple(box_xywh)}")
    if not math.isfinite(margin) or margin < 0:
        raise ValueError(f"margin must be a finite number >= 0, got {margin}")
    height, width = int(image_hw[0]), int(image_hw[1])
    if height < 1 or width < 1:
        raise ValueError(f"image size must be positive, got {tuple(image_hw)}")
    side = math.floor(max(w, h) * (1.0 + margin) + 0.5)
    side = min(max(side, 1), max(height, width))
    cx = x + w * 0.5
    cy = y + h * 0.5
    x0 = math.floor(cx - side * 0.5 + 0.5)
    y0 = math.floor(cy - side * 0.5 + 0.5)
    return x0, y0, side


def scale_square(square: Square, scale: int) -> Square:
    """The square that `square` of an input picture covers in that picture enlarged `scale` times.

    Pixel `(r, c)` of the input covers output pixels `[scale * r, scale * r + scale)`, so the square's
    corner and side are multiplied exactly: a face's box in the output is `scale` times its box in the input.

    Example:
        >>> scale_square((-3, 10, 20), 4)
        (-12, 40, 80)
    """
    if not isinstance(scale, (int, np.integer)) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    x0, y0, side = square
    return x0 * int(scale), y0 * int(scale), side * int(scale)


def crop_square(image: np.ndarray, x0: int, y0: int, side: int) -> np.ndarray:
    """Cut the `side x side` square at `(x0, y0)`, replicating the nearest edge pixel outside the image.

    Pixel `(r, c)` of the crop is `image[clip(y0 + r, 0, H - 1), clip(x0 + c, 0, W - 1)]`.

    Args:
        image: `HxWxC` array of any dtype.
        x0: left column of the square (may be negative or beyond the image).
        y0: top row of the square (may be negative or beyond the image).
        side: the square's side, `>= 1`.

    Returns:
        A new `side x side x C` array of the image's dtype.
    """
    square = _square_pixels(image, x0, y0, side)
    return square.copy() if np.may_share_memory(square, image) else square


def _square_pixels(image: np.ndarray, x0: int, y0: int, side: int) -> np.ndarray:
    """`crop_square`'s pixels: a view of `image` when the square lies inside it, else a new array."""
    if image.ndim != 3:
        raise ValueError(f"expected an HxWxC image, got shape {image.shape}")
    if side < 1:
        raise ValueError(f"side must be >= 1, got {side}")
    if 0 <= y0 and y0 + side <= image.shape[0] and 0 <= x0 and x0 + side <= image.shape[1]:
        return image[y0 : y0 + side, x0 : x0 + side]
    rows = np.clip(np.arange(y0, y0 + side), 0, image.shape[0] - 1)
    cols = np.clip(np.arange(x0, x0 + side), 0, image.shape[1] - 1)
    # One gather per axis: several times faster than indexing with a 2-D grid of rows and columns.
    return image.take(rows, axis=0).take(cols, axis=1)


def rgba_to_rgb_float(rgba: np.ndarray) -> np.ndarray:
    """uint8 RGB or RGBA pixels -> the network's float32 range (`tfsr.pixels.to_unit`), alpha dropped.

    Args:
        rgba: uint8 array `HxWx4` or `HxWx3`.

    Returns:
        float32 array `HxWx3` in [-1, 1].
    """
    if rgba.ndim != 3 or rgba.shape[2] not in (3, 4):
        raise ValueError(f"expected an HxWx3 or HxWx4 image, got shape {rgba.shape}")
    if rgba.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {rgba.dtype}")
    return to_unit(rgba[..., :3])


def face_input(image: np.ndarray, x0: int, y0: int, side: int, size: int = INPUT_SIDE) -> np.ndarray:
    """The generator's input for one face square: crop (edge-replicated), to [-1, 1], area-resize to `size`.

    Args:
        image: uint8 `HxWx3` or `HxWx4` frame.
        x0: left column of the square (from `square_box`).
        y0: top row of the square.
        side: the square's side.
        size: the network's input side (16 for the Low-to-High generator).

    Returns:
        float32 `size x size x 3` in [-1, 1].
    """
    return area_resize(rgba_to_rgb_float(_square_pixels(image, x0, y0, side)), size, size)


__all__ = [
    "FACE_MARGIN", "INPUT_SIDE", "MODEL_SCALE", "OUTPUT_SIDE", "Square", "crop_square", "face_input",
    "rgba_to_rgb_float", "scale_square", "square_box",
]
