"""Reading users' image files robustly, and cutting square face crops out of them.

TensorFlow's decoders are fast but ignore EXIF orientation and treat CMYK, 16-bit and transparent images
in their own way, so every file is first classified from its header: plain 8-bit RGB/gray files are
decoded by TensorFlow inside the pipeline; the rest are converted here with Pillow; unreadable files are
skipped and listed.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
from PIL import Image, ImageOps

from tfsr.errors import DataError

log = logging.getLogger(__name__)

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp")
_EXIF_ORIENTATION = 0x0112
# Formats and modes that tf.io.decode_image turns into the same pixels Pillow shows.
_TF_FORMATS = {"JPEG", "PNG", "BMP", "WEBP"}
_TF_MODES = {"RGB", "L"}


def list_images(folder: str | os.PathLike) -> list[Path]:
    """All images below `folder` (recursively), sorted so that runs see the same order.

    Raises:
        DataError: the folder does not exist.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise DataError(f"{root}: no such folder")
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())


def read_file_list(list_file: str | os.PathLike) -> list[Path]:
    """Paths from a text file, one a line; blank lines and `#` comments are ignored.

    Relative paths are taken from the list file's folder, so a list travels with its images.
    """
    list_file = Path(list_file).expanduser()
    if not list_file.is_file():
        raise DataError(f"{list_file}: no such file list")
    paths = []
    for line in list_file.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        p = Path(line).expanduser()
        paths.append(p if p.is_absolute() else list_file.parent / p)
    return paths


@dataclass(frozen=True)
class ImageInfo:
    """What a file's header says.

    Args:
        path: the file.
        width: width in pixels, after EXIF rotation.
        height: height in pixels, after EXIF rotation.
        tf_decodable: TensorFlow's decoder gives the right pixels (plain 8-bit RGB or gray, no rotation).
        is_jpeg: the file is a JPEG (TensorFlow can decode just the crop window).
    """

    path: str
    width: int
    height: int
    tf_decodable: bool
    is_jpeg: bool


def probe(path: str | os.PathLike) -> ImageInfo | None:
    """Reads a file's header (not its pixels); None when Pillow cannot open it."""
    try:
        with Image.open(path) as im:
            orientation = im.getexif().get(_EXIF_ORIENTATION, 1) if im.format in ("JPEG", "WEBP", "PNG") else 1
            width, height = im.size
            if orientation in (5, 6, 7, 8):
                width, height = height, width
            plain = im.format in _TF_FORMATS and im.mode in _TF_MODES and orientation == 1
            return ImageInfo(str(path), width, height, plain, im.format == "JPEG")
    except (OSError, ValueError, SyntaxError) as err:
        log.debug("cannot open %s: %s", path, err)
        return None


def open_upright(path: str | os.PathLike, noun: str = "image") -> Image.Image:
    """Decodes `path` fully and turns it upright from its EXIF orientation; the file is closed on return.

    Raises:
        DataError: the file is missing, truncated, not an image or a decompression bomb (the message names
            the file, calling it an `noun`).
    """
    try:
        with Image.open(path) as im:
            im.load()
            return ImageOps.exif_transpose(im)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        raise DataError(f"{path}: unreadable {noun} ({' '.join(str(err).split())})") from None


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Decodes any supported file to `[H, W, 3]` uint8 RGB, upright.

    EXIF orientation is applied; CMYK, palette and gray images are converted; 16-bit images keep their
    top 8 bits; transparent pixels are composited onto white.

    Raises:
        DataError: the file is missing, truncated or not an image (the message names it).
    """
    return to_rgb(open_upright(path))


def to_rgb(im: Image.Image) -> np.ndarray:
    """A decoded image as `[H, W, 3]` uint8 RGB (see `read_image`)."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(im).astype(np.float64)
        top = 65535.0 if im.mode.startswith("I;16") or a.max() > 255 else 255.0
        gray = np.clip(a * (255.0 / top), 0, 255).round().astype(np.uint8)
        return np.repeat(gray[..., None], 3, axis=-1)
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im)
    return np.asarray(im.convert("RGB"))


def face_square(image_hw: tuple[int, int], box_xywh: tuple[float, float, float, float], margin: float):
    """The square `(x0, y0, side)` cut around a face box, `margin` times its longest side larger overall.

    The same rule as `tfsr enhance` (`tfsr.enhance.facecrop.square_box`), so training faces are framed
    exactly like the faces the trained network is later given. The square may reach outside the image.
    """
    from tfsr.enhance.facecrop import square_box

    return square_box(box_xywh, margin, image_hw)


def centre_box(width: int, height: int, fraction: float = 1.0) -> tuple[int, int, int]:
    """The central square `(x0, y0, side)` whose side is `fraction` of the image's shorter side."""
    s = max(1, int(round(min(width, height) * fraction)))
    return (width - s) // 2, (height - s) // 2, s


def clip_box(box: tuple[int, int, int], width: int, height: int) -> tuple[int, int, int]:
    """Moves (and if needed shrinks) a square so that it lies inside a `width` x `height` image."""
    x0, y0, s = box
    s = min(s, width, height)
    return min(max(x0, 0), width - s), min(max(y0, 0), height - s), s


def crop_square(image: np.ndarray, box: tuple[int, int, int], size: int) -> np.ndarray | None:
    """Cuts `box` = `(x0, y0, side)` out of `image` and area-resizes it to `size` x `size`.

    Parts of the box outside the image repeat the nearest edge pixel (as `tfsr enhance` does), so faces at
    the edge of a photo keep their scale. Returns None when the box does not overlap the image at all.
    """
    from tfsr.enhance.facecrop import crop_square as cut

    h, w = image.shape[:2]
    x0, y0, s = box
    if x0 >= w or y0 >= h or x0 + s <= 0 or y0 + s <= 0:
        return None
    return resize_area(cut(image, x0, y0, s), size)


def resize_area(image: np.ndarray, size: int) -> np.ndarray:
    """Area-interpolated resize to `size` x `size` (area averaging avoids aliasing when shrinking)."""
    if image.shape[0] == size and image.shape[1] == size:
        return np.ascontiguousarray(image)
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


def report_skipped(skipped: Sequence[str], what: str) -> None:
    """Logs unreadable files once per source: a count, then each file."""
    if skipped:
        log.warning("%s: skipped %d unreadable file(s): %s", what, len(skipped), ", ".join(skipped))
