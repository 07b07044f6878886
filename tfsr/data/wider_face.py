"""WIDER FACE: the paper's real low-resolution faces (sec. 3.2), from the official layout or TFDS.

Official layout (what the download archives unpack to):

    ROOT/wider_face_split/wider_face_train_bbx_gt.txt
    ROOT/WIDER_train/images/0--Parade/0_Parade_marchingband_1_849.jpg

The annotation file repeats: an image path (relative to `images/`), a line with the number of faces, then
one line per face `x y w h blur expression illumination invalid occlusion pose`. An image with 0 faces
is still followed by one line of zeros.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from tfsr.data import images
from tfsr.data.crops import FaceCrops, split_of
from tfsr.errors import DataError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WiderFace:
    """One annotated face.

    Args:
        x, y, w, h: the box in pixels.
        blur: 0 clear, 1 normal blur, 2 heavy blur.
        expression: exaggerated expression.
        illumination: extreme illumination.
        invalid: the annotators marked the face invalid.
        occlusion: 0 none, 1 partial, 2 heavy.
        pose: atypical pose.
    """

    x: float
    y: float
    w: float
    h: float
    blur: int = 0
    expression: bool = False
    illumination: bool = False
    invalid: bool = False
    occlusion: int = 0
    pose: bool = False


@dataclass(frozen=True)
class FaceRules:
    """Which annotated faces become low-resolution training faces.

    Args:
        min_side: the largest side of the box must be at least this (pixels).
        max_side: ... and below this (the paper's faces are small: under 37 px by default).
        max_blur: keep faces whose blur level is at most this (2 keeps all).
        max_occlusion: keep faces whose occlusion level is at most this (2 keeps all).
        keep_invalid: keep faces the annotators marked invalid.
    """

    min_side: float = 10
    max_side: float = 37
    max_blur: int = 2
    max_occlusion: int = 2
    keep_invalid: bool = False

    def keep(self, face: WiderFace) -> bool:
        side = max(face.w, face.h)
        return (
            face.w > 0
            and face.h > 0
            and self.min_side <= side < self.max_side
            and face.blur <= self.max_blur
            and face.occlusion <= self.max_occlusion
            and (self.keep_invalid or not face.invalid)
        )


def parse_annotations(path: str | Path) -> list[tuple[str, list[WiderFace]]]:
    """Reads an official `wider_face_*_bbx_gt.txt` file into `(relative image path, faces)` pairs.

    Raises:
        DataError: the file is missing or does not follow the format (the message names the line).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: WIDER FACE annotation file not found")
    lines = path.read_text().splitlines()
    entries = []
    i = 0

    def fail(msg: str) -> DataError:
        return DataError(f"{path}:{i + 1}: {msg}")

    while i < len(lines):
        name = lines[i].strip()
        if not name:
            i += 1
            continue
        i += 1
        if i >= len(lines):
            raise fail(f"'{name}' has no face-count line")
        try:
            count = int(lines[i].strip())
        except ValueError:
            raise fail(f"expected a face count after '{name}', got '{lines[i].strip()}'") from None
        i += 1
        faces = []
        # A count of 0 is followed by one placeholder line of zeros.
        for _ in range(max(count, 1)):
            if i >= len(lines):
                raise fail(f"'{name}' announces {count} face(s) but the file ends")
            values = lines[i].split()
            if len(values) < 10:
                raise fail(f"a face line needs 10 numbers (x y w h blur expression illumination invalid occlusion pose)")
            try:
                x, y, w, h = (float(v) for v in values[:4])
                flags = [int(v) for v in values[4:10]]
            except ValueError:
                raise fail(f"not a face line: '{lines[i].strip()}'") from None
            i += 1
            if count:
                blur, expression, illumination, invalid, occlusion, pose = flags
                faces.append(
                    WiderFace(x, y, w, h, blur, bool(expression), bool(illumination), bool(invalid), occlusion, bool(pose))
                )
        entries.append((name, faces))
    return entries


def crop_faces(
    image: np.ndarray, faces: Iterable[WiderFace], rules: FaceRules, size: int, margin: float
) -> list[np.ndarray]:
    """Square crops (`size` x `size`) of the faces that `rules` keep; boxes off the image are dropped."""
    crops = []
    for face in faces:
        if not rules.keep(face):
            continue
        box = images.face_square(image.shape[:2], (face.x, face.y, face.w, face.h), margin)
        crop = images.crop_square(image, box, size)
        if crop is not None:
            crops.append(crop)
    return crops


def load_split(
    root: str | Path,
    split: str,
    rules: FaceRules,
    size: int,
    margin: float,
    part: str = "all",
    test_fraction: float = 0.0,
) -> FaceCrops:
    """All kept faces of one WIDER FACE split (`train` or `val`) of the official layout, cropped.

    Args:
        root: the folder holding `wider_face_split/` and `WIDER_<split>/images/`.
        split: `train` or `val`.
        rules: which faces to keep.
        size: side of the crops.
        margin: added to each box's longest side, as a fraction of it (see `images.face_square`).
        part: `all`, or `train` / `test` to hold out `test_fraction` of the images (by a stable hash).
        test_fraction: fraction of images held out as `test`.

    Raises:
        DataError: the annotation file is missing or malformed, or no face passes the rules.
    """
    root = Path(root).expanduser()
    ann = root / "wider_face_split" / f"wider_face_{split}_bbx_gt.txt"
    entries = parse_annotations(ann)
    entries = [entries[i] for i in split_of([name for name, _ in entries], test_fraction, part)]
    image_dir = root / f"WIDER_{split}" / "images"

    def one(entry: tuple[str, list[WiderFace]]) -> list[np.ndarray] | None:
        name, faces = entry
        if not any(rules.keep(f) for f in faces):
            return []
        try:
            image = images.read_image(image_dir / name)
        except DataError:
            return None
        return crop_faces(image, faces, rules, size, margin)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, entries))
    skipped = [str(image_dir / name) for (name, _), r in zip(entries, results) if r is None]
    crops = [c for r in results if r for c in r]
    images.report_skipped(skipped, str(image_dir))
    if not crops:
        raise DataError(
            f"{ann}: no face passes the rules ({rules.min_side} <= largest side < {rules.max_side} px, "
            f"blur <= {rules.max_blur}, occlusion <= {rules.max_occlusion})"
        )
    log.info("%s: %d faces from %d images", ann, len(crops), len(entries))
    return FaceCrops.from_array(np.stack(crops), skipped)

