"""Pictures for looking at results: faces side by side, and the before/after picture of `make demo`.

Example:
    >>> enhanced, found = enhancer.enhance_faces(photo)      # doctest: +SKIP
    >>> grid = side_by_side(photo, found, panel=128)          # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

import cv2

from tfsr import faces
from tfsr.data.demo import photos
from tfsr.enhance.enhancer import Enhancer, Face
from tfsr.enhance.pictures import write_picture

_GAP = 4  # pixels of white between panels


def _resize(pixels: np.ndarray, side: int, smooth: bool) -> np.ndarray:
    shrink = pixels.shape[0] > side
    method = cv2.INTER_AREA if shrink else (cv2.INTER_CUBIC if smooth else cv2.INTER_NEAREST)
    return cv2.resize(pixels, (side, side), interpolation=method)


def side_by_side(image: np.ndarray, found: Sequence[Face], panel: int = 128, feather: float = 0.15) -> np.ndarray:
    """One row per face: its input crop, the crop enlarged by the background resampler at the enhancer's
    scale, and the same with the super-resolved face pasted (what `tfsr enhance --scale` writes there).

    Args:
        image: the picture the faces were found in (uint8 `HxW`, `HxWx3` or `HxWx4`, before enhancement).
        found: `Face`s from `Enhancer.enhance_faces` (each knows its square in the input and the output).
        panel: side of each panel in pixels.
        feather: the enhancer's feather.

    Returns:
        uint8 RGB `rows x 3 panels`, white between panels; an empty `0x0x3` array without faces.
    """
    if not found:
        return np.zeros((0, 0, 3), np.uint8)
    colour = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image[..., :3]
    rows = []
    for face in found:
        crop = faces.crop_square(colour, *face.square)
        bicubic = faces.upscale(crop, face.scaled[2] // face.square[2])
        tfsr = faces.paste_face(bicubic, face.high, 0, 0, face.scaled[2], feather)
        cells = [_resize(crop, panel, smooth=False), _resize(bicubic, panel, smooth=True), _resize(tfsr, panel, smooth=True)]
        rows.append(_join(cells, axis=1))
    return _join(rows, axis=0)


def _join(parts: Sequence[np.ndarray], axis: int) -> np.ndarray:
    """Concatenates pictures along `axis` with a white gap between them."""
    gap_shape = list(parts[0].shape)
    gap_shape[axis] = _GAP
    gap = np.full(gap_shape, 255, np.uint8)
    joined: list[np.ndarray] = []
    for i, p in enumerate(parts):
        joined += [gap, p] if i else [p]
    return np.concatenate(joined, axis=axis)


def outline(image: np.ndarray, squares: Sequence[faces.Square], colour=(255, 220, 0), width: int = 2) -> np.ndarray:
    """A copy of an RGB picture with a rectangle drawn just outside each square (the pixels inside are kept)."""
    out = np.ascontiguousarray(image[..., :3]).copy()
    for x0, y0, side in squares:
        pad = width // 2 + 1
        cv2.rectangle(out, (x0 - pad, y0 - pad), (x0 + side - 1 + pad, y0 + side - 1 + pad), colour, width)
    return out


def group_photo(face_side: int = 16, gap: int = 8) -> tuple[np.ndarray, list[tuple[int, int, int, int, float]]]:
    """A photo with small faces: the shipped portraits (astronaut, camera, grace_hopper) shrunk by area so
    that each face square is about `face_side` pixels, side by side, with their face boxes.

    Shrinking a real photo is how its faces become small (a crowd, a group far away), and the full-size
    portrait stays the ground truth. The boxes are YuNet's on the full-size portraits, scaled.

    Returns:
        `(photo, boxes)`: uint8 RGB, and `(x, y, w, h, score)` per face in the photo's pixels.
    """
    from tfsr.faces.detection import YuNetDetector

    detector = YuNetDetector(score_threshold=0.5)
    cuts, boxes, left = [], [], 0
    for photo in photos().values():
        x, y, w, h, score = detector.detect(photo)[0]
        factor = face_side / (max(w, h) * (1 + faces.FACE_MARGIN))
        size = (max(1, round(photo.shape[1] * factor)), max(1, round(photo.shape[0] * factor)))
        cuts.append(cv2.resize(photo, size, interpolation=cv2.INTER_AREA))
        boxes.append((left + x * factor, y * factor, w * factor, h * factor, score))
        left += size[0] + gap
    height = max(c.shape[0] for c in cuts)
    canvas = np.full((height, left - gap, 3), 255, np.uint8)
    x = 0
    for cut in cuts:
        canvas[: cut.shape[0], x : x + cut.shape[1]] = cut
        x += cut.shape[1] + gap
    return canvas, boxes


def before_after(
    enhancer: Enhancer, photo: np.ndarray, boxes: Sequence | None = None
) -> tuple[np.ndarray, list[Face]]:
    """The photo enlarged `enhancer.scale` times: bicubic (top) above tfsr (bottom), faces outlined, labelled.

    The top picture is the background resampler alone (`tfsr.faces.upscale`); the bottom one is
    `enhancer.enhance_faces` of the same photo, so the two differ exactly inside the outlined faces.

    Args:
        enhancer: the `Enhancer` (its scale and face size range apply).
        photo: uint8 RGB.
        boxes: face boxes to use instead of detecting them.

    Returns:
        `(picture, faces)`: uint8 RGB, `2 * (label + scale * H) + gap` rows of `scale * W`, and the faces
        super-resolved.
    """
    after, found = enhancer.enhance_faces(photo, boxes)
    squares = [f.scaled for f in found]
    bicubic = faces.upscale(photo, enhancer.scale)
    top = _labelled(outline(bicubic, squares), f"bicubic x{enhancer.scale}")
    bottom = _labelled(outline(after, squares), f"tfsr x{enhancer.scale} ({len(found)} faces super-resolved)")
    return _join([top, bottom], axis=0), found


_LABEL = 28  # pixels of the caption strip


def _labelled(picture: np.ndarray, text: str) -> np.ndarray:
    """`picture` under a white strip with `text` in black."""
    strip = np.full((_LABEL, picture.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, text, (6, _LABEL - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    return np.concatenate([strip, picture], axis=0)


def demo_images(model: Any, out_dir: str | os.PathLike[str], face_side: int = 16, panel: int = 128) -> list[Path]:
    """The before/after of `make demo`: a photo with small faces at the model's scale, bicubic next to tfsr.

    Writes `group.png` (the photo with small faces, `group_photo`), `before_after.png` (it enlarged 4x:
    bicubic above tfsr, faces outlined) and `faces.png` (each face: input crop, bicubic of the
    generator's input, super-resolved; only when a face was super-resolved).

    Args:
        model: anything `Enhancer` takes, or an `Enhancer`.
        out_dir: folder for the pictures (created).
        face_side: face square side (pixels) in the small photo.
        panel: side of each panel of the side-by-side picture.

    Returns:
        The files written.

    Example:
        >>> demo_images("runs/demo", "demo_out/enhance")  # doctest: +SKIP
    """
    enhancer = model if isinstance(model, Enhancer) else Enhancer(model)
    out = Path(out_dir)
    photo, boxes = group_photo(face_side)
    written = [write_picture(out / "group.png", photo)]
    picture, found = before_after(enhancer, photo, boxes)
    written.append(write_picture(out / "before_after.png", picture))
    if found:
        written.append(write_picture(out / "faces.png", side_by_side(photo, found, panel, enhancer.feather)))
    return written


__all__ = ["before_after", "demo_images", "group_photo", "outline", "side_by_side"]
