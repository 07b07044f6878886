"""The arithmetic that turns a detected face into the generator's input and pastes its output back.

Pure numpy (no TensorFlow), and mirrored exactly by the Android demo's Java core
(`android_demo/core`, package `dev.tfsr.core`); golden vectors written from this module keep the two
in step. Every rounding rule is spelled out so that the Java side can reproduce it:

- float32 arithmetic where a function says "float32", evaluated in the order written in its docstring
  (numpy and Java both do plain IEEE-754 single precision without fused multiply-add);
- resampling weights are computed and applied in float64 and the result is cast to float32 once, so the
  two sides agree to float32 rounding whatever order they sum in.

One picture is an `HxWxC` array, rows first, RGB(A) channel order (no batch axis). Pixel values
are uint8 in [0, 255]; the network sees float32 in [-1, 1].

Example:
    >>> import numpy as np
    >>> frame = np.zeros((120, 160, 4), np.uint8)
    >>> x0, y0, side = square_box((40.0, 30.0, 50.0, 60.0), 0.25, frame.shape[:2])
    >>> lr = face_input(frame, x0, y0, side)          # 16x16x3 float32 in [-1, 1]
    >>> sr = np.zeros((64, 64, 3), np.float32)        # the Low-to-High generator's output
    >>> out = paste_face(frame, sr, x0, y0, side, feather=0.15)
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

#: The Low-to-High generator's input side in pixels.
INPUT_SIDE = 16


def rgba_to_rgb_float(rgba: np.ndarray) -> np.ndarray:
    """Convert uint8 RGB or RGBA pixels to the network's float32 range: `x / 127.5 - 1` (alpha dropped).

    Computed in float32 as `float32(x) / 127.5 - 1`.

    Args:
        rgba: uint8 array `HxWx4` or `HxWx3`.

    Returns:
        float32 array `HxWx3` in [-1, 1].
    """
    if rgba.ndim != 3 or rgba.shape[2] not in (3, 4):
        raise ValueError(f"expected an HxWx3 or HxWx4 image, got shape {rgba.shape}")
    if rgba.dtype != np.uint8:
        raise ValueError(f"expected uint8 pixels, got {rgba.dtype}")
    out = rgba[..., :3].astype(np.float32)
    np.divide(out, np.float32(127.5), out=out)
    return np.subtract(out, np.float32(1.0), out=out)


def square_box(
    box_xywh: Sequence[float], margin: float, image_hw: Sequence[int]
) -> tuple[int, int, int]:
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
        margin: extra fraction of the box's larger side added around the face (0.25 adds 25 %); `>= 0`.
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


def to_pixels(x: np.ndarray) -> np.ndarray:
    """Convert float32 values in [-1, 1] to uint8 pixels: round half up of `(x + 1) * 127.5`, clipped.

    Computed in float32 as `floor((x + 1) * 127.5 + 0.5)`, clipped to [0, 255]; NaN becomes 0.
    `to_pixels(rgba_to_rgb_float(p))` returns `p` for every uint8 value.
    """
    scaled = (np.asarray(x, np.float32) + np.float32(1.0)) * np.float32(127.5)
    rounded = np.floor(scaled + np.float32(0.5))
    return np.clip(np.nan_to_num(rounded, nan=0.0), 0, 255).astype(np.uint8)


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
    `clip((x + 1) * 127.5, 0, 255)` (not rounded before blending). So `m == 0` keeps the image pixel
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
    blended = face[inner].astype(np.float32, order="C")
    if face.dtype != np.uint8:
        blended += np.float32(1.0)
        blended *= np.float32(127.5)
        np.clip(blended, 0, 255, out=blended)
    blended -= base
    blended *= weights[inner]
    blended += base
    blended += np.float32(0.5)
    np.floor(blended, out=blended)
    np.clip(blended, 0, 255, out=blended)
    np.copyto(target, blended, casting="unsafe")
    return out


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
        image: uint8 `HxWx3` or `HxWx4` frame.
        enhanced: square float output of the generator in [-1, 1] (64x64x3).
        x0: left column of the face square (from `square_box`).
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
