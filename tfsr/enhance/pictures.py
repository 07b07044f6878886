"""Reading and writing the pictures that `tfsr enhance` works on, keeping what the pipeline must not lose.

Unlike the training data reader (which wants plain RGB), enhancement gives back a picture of the same kind
it was given: gray stays gray and transparency is kept. Pictures are turned upright from their EXIF
orientation when read (and written upright, without the tag). Every format Pillow or OpenCV reads is read
(`tfsr.data.images.IMAGE_EXTENSIONS`); the output of a picture in a format written here only lossily or
not at all (a palette GIF holds 256 colours) is a PNG beside it (`output_name`).

Example:
    >>> pixels = read_picture("photo.jpg")                 # doctest: +SKIP
    >>> write_picture("photo_enhanced.jpg", pixels)        # doctest: +SKIP
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from tfsr.atomic import replacing
from tfsr.data.images import open_upright, to_rgb
from tfsr.errors import DataError

#: Picture files `tfsr enhance` writes (it reads every format in `tfsr.data.images.IMAGE_EXTENSIONS`).
PICTURE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff")
_JPEG_QUALITY = 95
# Pillow modes kept as they are; everything else becomes RGB (or RGBA when it has transparency).
_KEPT_MODES = {"L": "L", "LA": "RGBA", "RGB": "RGB", "RGBA": "RGBA"}


def read_picture(path: str | os.PathLike[str]) -> np.ndarray:
    """Decodes a picture upright, as uint8 `HxW` (gray), `HxWx3` (RGB) or `HxWx4` (RGBA).

    Gray with alpha becomes RGBA; palette, CMYK and other modes become RGB (RGBA if transparent); 16-bit
    pictures keep their top 8 bits.

    Raises:
        DataError: the file is missing, truncated or not a picture (the message names it).
    """
    im = open_upright(path, "picture")
    if im.mode in _KEPT_MODES:
        return np.asarray(im.convert(_KEPT_MODES[im.mode]))
    if im.mode == "P" and "transparency" in im.info:
        return np.asarray(im.convert("RGBA"))
    if im.mode.startswith("I") or im.mode == "F":
        return to_rgb(im)  # 16-bit and float gray: their top 8 bits, as the training reader does
    return np.asarray(im.convert("RGB"))


def output_name(name: str) -> str:
    """The output file name for an input picture: the same, or with `.png` added when its format is not
    written here (`photo.gif` -> `photo.gif.png`, which cannot collide with a `photo.png` beside it).

    Example:
        >>> output_name("party/photo.gif"), output_name("a.JPG")
        ('party/photo.gif.png', 'a.JPG')
    """
    return name if Path(name).suffix.lower() in PICTURE_EXTENSIONS else f"{name}.png"


def check_writable(path: str | os.PathLike[str]) -> None:
    """Raises `DataError` unless `path`'s extension is a format `write_picture` writes."""
    if Path(path).suffix.lower() not in PICTURE_EXTENSIONS:
        raise DataError(f"{path}: unknown picture format (use one of {', '.join(PICTURE_EXTENSIONS)})")


def write_picture(path: str | os.PathLike[str], pixels: np.ndarray) -> Path:
    """Encodes uint8 pixels by the file's extension (JPEG at quality 95, lossless PNG/WebP/BMP/TIFF).

    A JPEG cannot hold transparency: an RGBA picture is composited onto white for it. The file is written
    under a temporary name and renamed, so an interrupted run never leaves half a picture behind.

    Raises:
        DataError: the extension is not a picture format.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    check_writable(path)
    im = Image.fromarray(np.ascontiguousarray(pixels))
    options: dict[str, object] = {}
    if suffix in (".jpg", ".jpeg"):
        if im.mode == "RGBA":
            white = Image.new("RGBA", im.size, (255, 255, 255, 255))
            im = Image.alpha_composite(white, im).convert("RGB")
        options = {"quality": _JPEG_QUALITY}
    elif suffix == ".webp":
        options = {"lossless": True}
    elif suffix in (".tif", ".tiff"):
        options = {"compression": "tiff_deflate"}
    with replacing(path) as tmp:
        im.save(tmp, format=Image.registered_extensions()[suffix], **options)
    return path


__all__ = ["PICTURE_EXTENSIONS", "check_writable", "output_name", "read_picture", "write_picture"]
