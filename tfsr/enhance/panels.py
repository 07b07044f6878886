"""Pictures for looking at results: faces side by side, and the before/after images of `make demo`.

Example:
    >>> enhanced, faces = enhancer.enhance_faces(photo)      # doctest: +SKIP
    >>> grid = side_by_side(photo, faces, panel=128)          # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from tfsr.enhance import facecrop
from tfsr.enhance.enhancer import Enhancer, Face

_GAP = 4  # pixels of white between panels


def _resize(pixels: np.ndarray, side: int, smooth: bool) -> np.ndarray:
    import cv2

    shrink = pixels.shape[0] > side
    method = cv2.INTER_AREA if shrink else (cv2.INTER_CUBIC if smooth else cv2.INTER_NEAREST)
    return cv2.resize(pixels, (side, side), interpolation=method)


def side_by_side(image: np.ndarray, faces: Sequence[Face], panel: int = 128) -> np.ndarray:
    """One row per face: the input crop, the generator's 16x16 input upscaled bicubically, the super-resolved face.

    Args:
        image: the picture the faces were found in (uint8 `HxW`, `HxWx3` or `HxWx4`, before enhancement).
        faces: `Face`s from `Enhancer.enhance_faces`.
        panel: side of each panel in pixels.

    Returns:
        uint8 RGB `rows x 3 panels`, white between panels; an empty `0x0x3` array without faces.
    """
    if not faces:
        return np.zeros((0, 0, 3), np.uint8)
    colour = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image[..., :3]
    rows = []
    for face in faces:
        crop = facecrop.crop_square(colour, *face.square)
        cells = [
            _resize(crop, panel, smooth=True),
            _resize(facecrop.to_pixels(face.low), panel, smooth=True),
            _resize(facecrop.to_pixels(face.high), panel, smooth=True),
        ]
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


def demo_images(model: Any, out_dir: str | os.PathLike[str], face_side: int = 20, panel: int = 128) -> list[Path]:
    """Before/after pictures of the shipped portraits (astronaut, camera, grace_hopper) with small faces.

    Each portrait is shrunk so that its face is about `face_side` pixels and scaled back up bicubically: the
    "before" picture, full-sized with a blurry low-resolution face, as in a photo of a crowd. `Enhancer`
    then detects and enhances its face: the "after" picture. A side-by-side panel of each face is written
    too.

    Args:
        model: anything `Enhancer` takes, or an `Enhancer`.
        out_dir: folder for the pictures (created).
        face_side: face size (pixels) of the shrunk portrait.
        panel: side of each panel of the side-by-side picture.

    Returns:
        The files written: `<name>_before.png`, `<name>_after.png`, `<name>_faces.png` per portrait (the
        last only when a face was found).

    Example:
        >>> demo_images("runs/demo", "demo_out")  # doctest: +SKIP
    """
    import cv2

    from tfsr.data.demo import photos
    from tfsr.enhance.pictures import write_picture

    enhancer = model if isinstance(model, Enhancer) else Enhancer(model)
    out = Path(out_dir)
    written = []
    for name, photo in photos().items():
        sharp = enhancer.detect(photo)
        face = max(sharp[0][2:4]) if sharp else min(photo.shape[:2]) // 4
        factor = min(1.0, face_side / face)
        h, w = photo.shape[:2]
        small = cv2.resize(photo, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA)
        before = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
        after, faces = enhancer.enhance_faces(before)
        written.append(write_picture(out / f"{name}_before.png", before))
        written.append(write_picture(out / f"{name}_after.png", after))
        if faces:
            written.append(write_picture(out / f"{name}_faces.png", side_by_side(before, faces, panel)))
    return written


__all__ = ["demo_images", "side_by_side"]
