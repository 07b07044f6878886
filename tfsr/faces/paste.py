"""Pasting a super-resolved face back: a feathered mask and the blend, with every rounding rule written out.

Mirrored by the Android core (`Paste.java`, `FaceMath.java`): the blend is float32 elementwise, in the
order its docstring gives, so numpy and Java (IEEE-754 single precision, no fused multiply-add) write the
same pixels. Pixels outside the pasted square, and the alpha channel, are never touched.

Example:
    >>> import numpy as np
    >>> frame = np.zeros((120, 160, 3), np.uint8)
    >>> sr = np.zeros((64, 64, 3), np.float32)          # the Low-to-High generator's output
    >>> out = paste_face(frame, sr, 28, 23, 75, feather=0.15)
    >>> int(out[60, 65, 0]), int(out[0, 0, 0])
    (128, 0)
"""

from __future__ import annotations

import functools

import numpy as np

from tfsr.faces.resample import resize_to_side
from tfsr.pixels import to_levels


def feather_mask(side: int, feather: float) -> np.ndarray:
    """A `side x side` blending mask: 1 in the centre, falling to 0 at the border with a raised cosine.

    Separable: `mask[r, c] = p[r] * p[c]` with, for pixel `i`, `d = min(i, side - 1 - i)` (its distance
    to the nearest border pixel), `ramp = feather * side` and `p[i] = 0.5 - 0.5 * cos(pi * min(d / ramp,
    1))` (`p = 1` everywhere when `ramp == 0`). So the outermost ring is exactly 0 whenever `feather > 0`,
    and pixels at least `ramp` from the border are exactly 1. Computed in float64, returned as float32.

    Args:
        side: mask side, `>= 1`.
        feather: ramp width as a fraction of `side`, in [0, 0.5].

    Returns:
        float32 `side x side` in [0, 1].
    """
    profile = _feather_profile(side, feather)
    return np.outer(profile, profile).astype(np.float32)


def _feather_profile(side: int, feather: float) -> np.ndarray:
    """`feather_mask`'s float64 profile `p` (the mask is its outer product with itself)."""
    if side < 1:
        raise ValueError(f"side must be >= 1, got {side}")
    if not 0.0 <= feather <= 0.5:
        raise ValueError(f"feather must be in [0, 0.5], got {feather}")
    ramp = feather * side
    index = np.arange(side, dtype=np.float64)
    dist = np.minimum(index, side - 1 - index)
    if ramp > 0:
        return 0.5 - 0.5 * np.cos(np.pi * np.minimum(dist / ramp, 1.0))
    return np.ones(side, np.float64)


def paste(
    image: np.ndarray, face: np.ndarray, x0: int, y0: int, mask: np.ndarray, in_place: bool = False
) -> np.ndarray:
    """Alpha-blend a face square into a copy of the image; the square is clipped to the image.

    For each RGB channel of every image pixel under the square, in float32:
    `v = base + m * (f - base)` and `out = clip(floor(v + 0.5), 0, 255)`, where `base` is the image pixel,
    `m` the mask value and `f` the face pixel: the uint8 value itself, or for a float face in [-1, 1]
    `tfsr.pixels.to_levels(x)` (not rounded before blending). So `m == 0` keeps the image pixel
    exactly, `m == 1` gives the face's pixel, and pixels outside the square (and alpha) are untouched.

    Args:
        image: uint8 `HxWx3` or `HxWx4`.
        face: `side x side x 3`, uint8 pixels or float in [-1, 1].
        x0: left column of the square in the image (may be outside).
        y0: top row of the square in the image (may be outside).
        mask: `side x side` float weights in [0, 1] (see `feather_mask`).
        in_place: write into `image` itself (only the square is touched) instead of a copy.

    Returns:
        A new uint8 image of the same shape, or `image` itself when `in_place`.
    """
    side = face.shape[0]
    if mask.shape != (side, side):
        raise ValueError(f"face {face.shape} and mask {mask.shape} must be SxSx3 and SxS")
    return _blend(image, face, x0, y0, np.asarray(mask, np.float32)[..., None], in_place)


def _blend(
    image: np.ndarray, face: np.ndarray, x0: int, y0: int, weights: np.ndarray, in_place: bool
) -> np.ndarray:
    """`paste` with float32 weights `side x side x 1` (the mask) or `side x side x 3` (repeated per channel).

    The float32 operations are `paste`'s, element by element, done in place in one buffer the size of the
    part of the square inside the image.
    """
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
        raise ValueError(f"expected a uint8 HxWx3 or HxWx4 image, got {image.dtype} {image.shape}")
    side = face.shape[0]
    if face.shape != (side, side, 3):
        raise ValueError(f"face {face.shape} must be SxSx3")
    out = image if in_place else image.copy()
    top, left = max(y0, 0), max(x0, 0)
    bottom, right = min(y0 + side, image.shape[0]), min(x0 + side, image.shape[1])
    if top >= bottom or left >= right:
        return out
    inner = (slice(top - y0, bottom - y0), slice(left - x0, right - x0))
    target = out[top:bottom, left:right, :3]
    base = target.astype(np.float32, order="C")
    part = face[inner]
    blended = part.astype(np.float32, order="C") if face.dtype == np.uint8 else to_levels(part)
    blended -= base
    blended *= weights[inner]
    blended += base
    blended += np.float32(0.5)
    np.floor(blended, out=blended)
    np.clip(blended, 0, 255, out=blended)
    np.copyto(target, blended, casting="unsafe")
    return out


def paste_face(
    image: np.ndarray,
    enhanced: np.ndarray,
    x0: int,
    y0: int,
    side: int,
    feather: float,
    in_place: bool = False,
) -> np.ndarray:
    """Paste the generator's output for one face square back: `resize_to_side`, then `paste` feathered.

    Args:
        image: uint8 `HxWx3` or `HxWx4` frame (or a tile of one, with the square's corner shifted).
        enhanced: square float output of the generator in [-1, 1] (64x64x3).
        x0: left column of the face square (from `square_box`, or `scale_square` of it).
        y0: top row of the face square.
        side: the face square's side.
        feather: ramp width of `feather_mask`, a fraction of `side` in [0, 0.5].
        in_place: write into `image` itself (only the square is touched) instead of a copy.

    Returns:
        A new uint8 image of the same shape, or `image` itself when `in_place`.
    """
    make_weights = _feather_weights if side <= _CACHED_WEIGHTS_SIDE else _feather_weights.__wrapped__
    return _blend(image, resize_to_side(enhanced, side), x0, y0, make_weights(side, feather), in_place)


# A video's faces keep their side for frames on end; masks of larger faces (12 bytes a pixel) are not kept.
_CACHED_WEIGHTS_SIDE = 512


@functools.lru_cache(maxsize=16)
def _feather_weights(side: int, feather: float) -> np.ndarray:
    """`feather_mask(side, feather)` with each weight repeated for the three channels, read-only.

    Against a mask broadcast along a last axis of 1, numpy's loops run 3 elements at a time and the blend's
    multiplication is ~7 times slower.
    """
    profile = _feather_profile(side, feather)
    weights = np.outer(profile, np.repeat(profile, 3)).astype(np.float32).reshape(side, side, 3)
    weights.flags.writeable = False
    return weights


__all__ = ["feather_mask", "paste", "paste_face"]
