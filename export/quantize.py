"""Real low-resolution faces for calibrating int8 and for measuring what each format costs in quality.

Calibration must see what the phone will see: real faces at 16x16, not noise. The default set is the
embedded demo set (`tfsr.data.demo`): LFW's real low-resolution face crops plus the demo portraits' face
crops area-downscaled to 16x16 (LFW is gray; the portraits bring colour). Its stable `train` split
calibrates; its `test` split is held out for the quality table. A folder of 16x16 (or larger, area-resized)
face crops can replace it.

Example:
    >>> calib = representative_faces(64)                    # float32 [64, 16, 16, 3] in [-1, 1]
    >>> held_out = representative_faces(None, split="test")
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tfsr.errors import DataError
from tfsr.tflite.metadata import LR_SIZE
from tfsr.pixels import to_unit


def to_unit_range(faces_uint8: np.ndarray) -> np.ndarray:
    """uint8 RGB -> float32 in [-1, 1], the generator's input convention."""
    return to_unit(faces_uint8)


def demo_lr_faces(split: str = "train") -> np.ndarray:
    """The demo set's real LR faces plus its HR faces area-downscaled to 16x16, uint8 `[N, 16, 16, 3]`."""
    from tfsr.data import demo
    from tfsr.data.images import resize_area

    lfw = demo.lr_faces(LR_SIZE, split=split)
    portraits = demo.hr_faces(LR_SIZE * 4, split=split)
    downscaled = np.stack([resize_area(face, LR_SIZE) for face in portraits]) if len(portraits) else lfw[:0]
    return np.concatenate([lfw, downscaled])


def folder_lr_faces(folder: str | Path) -> np.ndarray:
    """Every readable image below `folder`, area-resized to 16x16, uint8 `[N, 16, 16, 3]`.

    Raises:
        DataError: the folder is missing or holds no readable image.
    """
    from tfsr.data.images import list_images, read_image, resize_area

    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder of low-resolution faces")
    faces = []
    for path in list_images(folder):
        try:
            faces.append(resize_area(read_image(path), LR_SIZE))
        except Exception:  # noqa: BLE001 - an unreadable file is skipped; an empty result is an error below
            continue
    if not faces:
        raise DataError(f"{folder}: no readable image to use as a low-resolution face")
    return np.stack(faces)


def representative_faces(
    count: int | None, folder: str | Path | None = None, split: str = "train", seed: int = 0
) -> np.ndarray:
    """Float32 `[count, 16, 16, 3]` faces in [-1, 1]: a seeded sample of the folder's or the demo set's faces.

    Args:
        count: how many (all of them when None; repeats are drawn when fewer exist).
        folder: a folder of face crops; None uses the demo set's `split`.
        split: `train` (calibration) or `test` (held out) of the demo set.
        seed: sampling seed.

    Raises:
        DataError: no face is available, or `count` < 1.
    """
    faces = folder_lr_faces(folder) if folder is not None else demo_lr_faces(split)
    if len(faces) == 0:
        raise DataError(f"the representative set ({folder or f'demo {split} split'}) is empty")
    if count is None:
        return to_unit_range(faces)
    if count < 1:
        raise DataError(f"the representative set must have at least one face, asked for {count}")
    rng = np.random.default_rng(seed)
    index = rng.permutation(len(faces))[:count] if count <= len(faces) else rng.integers(0, len(faces), count)
    return to_unit_range(faces[index])
