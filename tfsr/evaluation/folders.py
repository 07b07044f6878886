"""Evaluation image sets read from folders, with the checks that keep a protocol honest.

A test set is every image below a folder (recursively, sorted by path). Every image must have the size
the protocol expects; a set must hold exactly the number of images asked for (or at least that many,
where the rest are documented as unused). Any violation is a `DataError` naming the folder or the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tfsr.data import images as image_io
from tfsr.errors import DataError


@dataclass
class ImageSet:
    """Images of one evaluation folder.

    Args:
        root: the folder.
        files: the images used, in sorted path order.
        pixels: `[N, size, size, 3]` uint8 RGB.
        label: the command-line option that named the folder (for messages).
    """

    root: Path
    files: list[Path]
    pixels: np.ndarray
    label: str

    @property
    def size(self) -> int:
        return int(self.pixels.shape[1])


def load_image_set(
    folder: str | os.PathLike[str],
    label: str,
    size: int | None = None,
    count: int | None = None,
    exact: bool = True,
) -> ImageSet:
    """Reads a folder of square face images.

    Args:
        folder: the folder (searched recursively).
        label: what the folder is (`--lr-test`), for messages.
        size: the side every image must have; None takes the first image's and requires it of the rest.
        count: images required; None uses all.
        exact: `count` must match the folder exactly; otherwise the first `count` in path order are used.

    Raises:
        DataError: the folder is missing or empty, holds the wrong number of images, or an image is
            unreadable, not square or of the wrong size.
    """
    root = Path(folder).expanduser()
    files = image_io.list_images(root)
    if not files:
        raise DataError(f"{label} {root}: no images (looked for {', '.join(image_io.IMAGE_EXTENSIONS)})")
    if count is not None:
        if len(files) < count or (exact and len(files) != count):
            wanted = f"exactly {count}" if exact else f"at least {count}"
            raise DataError(f"{label} {root}: holds {len(files)} images, {wanted} were asked for (--num-images)")
        files = files[:count]
    pixels = []
    why = "" if size is not None else f" like {files[0].name}"
    for path in files:
        image = image_io.read_image(path)
        h, w = image.shape[:2]
        if size is None:
            size = h
        if h != w or h != size:
            raise DataError(f"{label} {path}: image is {w}x{h}, expected {size}x{size}{why}")
        pixels.append(image)
    return ImageSet(root=root, files=files, pixels=np.stack(pixels), label=label)
