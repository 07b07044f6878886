"""Reading users' image files robustly, and cutting square face crops out of them.

TensorFlow's decoders are fast but ignore EXIF orientation and treat CMYK, 16-bit and transparent images
in their own way, so every file is first classified from its header: plain 8-bit RGB/gray files are
decoded by TensorFlow inside the pipeline; the rest are converted here with Pillow (or OpenCV, for the
formats only it reads: OpenEXR, Radiance HDR, ...); unreadable files are skipped and listed.

A folder is listed with `list_pictures`: every file in it is either a picture (a format Pillow or OpenCV
reads, whatever its colour mode: palette GIF, 16-bit TIFF, ...) or skipped with the reason, so nothing is
ignored silently.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
from PIL import Image, ImageOps

from tfsr import faces
from tfsr.errors import DataError

log = logging.getLogger(__name__)

# Extensions OpenCV's imread reads (its documentation's list), beyond Pillow's own.
_OPENCV_EXTENSIONS = (
    ".bmp", ".dib", ".jpeg", ".jpg", ".jpe", ".jp2", ".png", ".webp", ".avif", ".pbm", ".pgm", ".ppm", ".pxm",
    ".pnm", ".pfm", ".sr", ".ras", ".tiff", ".tif", ".exr", ".hdr", ".pic",
)
# Pillow registers these, but they are movies or containers that hold no picture Pillow can decode here.
_NOT_PICTURES = {".mpeg": "an MPEG video", ".mpg": "an MPEG video", ".h5": "an HDF5 file", ".hdf": "an HDF5 file",
                 ".bufr": "a BUFR weather file", ".grib": "a GRIB weather file", ".pdf": "a PDF document"}
_VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm")


def _picture_extensions() -> tuple[str, ...]:
    Image.init()
    pillow = (ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN)
    return tuple(sorted(set(pillow).union(_OPENCV_EXTENSIONS).difference(_NOT_PICTURES)))


#: Every file extension read as a picture: all that Pillow or OpenCV can open.
IMAGE_EXTENSIONS = _picture_extensions()
_EXIF_ORIENTATION = 0x0112
# Formats and modes that tf.io.decode_image turns into the same pixels Pillow shows.
_TF_FORMATS = {"JPEG", "PNG", "BMP", "WEBP"}
_TF_MODES = {"RGB", "L"}


@dataclass
class PictureListing:
    """The files of a folder: the pictures, and every other file with the reason it is not one.

    Args:
        pictures: picture files, sorted.
        skipped: `(file, reason)` for every other file, sorted.

    Example:
        >>> listing = list_pictures("photos/")                     # doctest: +SKIP
        >>> [f"{path}: {why}" for path, why in listing.skipped]     # doctest: +SKIP
        ['photos/notes.txt: not a picture format (.txt)']
    """

    pictures: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


def skip_reason(path: str | os.PathLike) -> str | None:
    """Why a file is not read as a picture (from its name), or None when it is one."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return None
    if suffix in _VIDEO_EXTENSIONS or suffix in (".mpeg", ".mpg"):
        return f"a video ({suffix}): enhance it on its own"
    if suffix in _NOT_PICTURES:
        return f"{_NOT_PICTURES[suffix]} ({suffix}), not a picture"
    return f"not a picture format ({suffix or 'no extension'})"


def list_pictures(folder: str | os.PathLike) -> PictureListing:
    """Every file below `folder` (recursively): the pictures, and the others with the reason they are skipped.

    Raises:
        DataError: the folder does not exist.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise DataError(f"{root}: no such folder")
    listing = PictureListing()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        reason = skip_reason(path)
        if reason is None:
            listing.pictures.append(path)
        else:
            listing.skipped.append((path, reason))
    return listing


def list_images(folder: str | os.PathLike) -> list[Path]:
    """All pictures below `folder` (recursively), sorted so that runs see the same order; the other files
    are logged once with the reason they are skipped.

    Raises:
        DataError: the folder does not exist.
    """
    listing = list_pictures(folder)
    if listing.skipped:
        log.warning("%s: %d file(s) are not pictures: %s", folder, len(listing.skipped),
                    ", ".join(f"{p.name} ({why})" for p, why in listing.skipped))
    return listing.pictures


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

    A format Pillow does not know but OpenCV reads (by its extension) is decoded by `read_with_opencv`.
    An animated picture (GIF, APNG, WebP) gives its first frame.

    Raises:
        DataError: the file is missing, truncated, not an image or a decompression bomb (the message names
            the file, calling it an `noun`).
    """
    try:
        with Image.open(path) as im:
            im.load()
            return ImageOps.exif_transpose(im)
    except Image.UnidentifiedImageError:
        if Path(path).suffix.lower() in _OPENCV_EXTENSIONS:
            return read_with_opencv(path, noun)
        raise DataError(f"{path}: unreadable {noun} (not a picture Pillow or OpenCV can decode)") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        raise DataError(f"{path}: unreadable {noun} ({' '.join(str(err).split())})") from None


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Decodes any supported file to `[H, W, 3]` uint8 RGB, upright.

    EXIF orientation is applied; CMYK, palette and gray images are converted; 16-bit images keep their
    top 8 bits; transparent pixels are composited onto white. Formats Pillow cannot open are read with
    OpenCV (`read_with_opencv`).

    Raises:
        DataError: the file is missing, truncated or not an image (the message names it).
    """
    return to_rgb(open_upright(path))


def read_with_opencv(path: str | os.PathLike, noun: str = "image") -> Image.Image:
    """Decodes a file that Pillow cannot open (OpenEXR, Radiance HDR, Sun raster, ...) with OpenCV.

    16-bit pixels keep their top 8 bits; floating-point (HDR) pixels in [0, 1] are scaled to [0, 255] and
    clipped, without tone mapping.

    Raises:
        DataError: OpenCV cannot decode it either.
    """
    try:
        data = np.fromfile(path, np.uint8)
    except OSError as err:
        raise DataError(f"{path}: unreadable {noun} ({err.strerror or err})") from None
    pixels = cv2.imdecode(data, cv2.IMREAD_UNCHANGED) if data.size else None
    if pixels is None:
        raise DataError(f"{path}: unreadable {noun} (neither Pillow nor OpenCV can decode it)")
    if pixels.dtype == np.uint16:
        pixels = (pixels >> 8).astype(np.uint8)
    elif pixels.dtype != np.uint8:
        pixels = np.clip(np.nan_to_num(pixels.astype(np.float64)) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[..., 0]
    if pixels.ndim == 3:
        code = cv2.COLOR_BGRA2RGBA if pixels.shape[2] == 4 else cv2.COLOR_BGR2RGB
        pixels = cv2.cvtColor(pixels[..., :4] if pixels.shape[2] > 4 else pixels, code)
    return Image.fromarray(pixels)


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


def face_square(
    image_hw: tuple[int, int], box_xywh: tuple[float, float, float, float], margin: float = faces.FACE_MARGIN
) -> faces.Square:
    """The square `(x0, y0, side)` cut around a face box, `margin` times its longest side larger overall.

    `tfsr.faces.square_box`, the rule `tfsr enhance` and the Android app use, so training faces are framed
    exactly like the faces the trained network is later given. The square may reach outside the image.
    """
    return faces.square_box(box_xywh, margin, image_hw)


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
    h, w = image.shape[:2]
    x0, y0, s = box
    if x0 >= w or y0 >= h or x0 + s <= 0 or y0 + s <= 0:
        return None
    return resize_area(faces.crop_square(image, x0, y0, s), size)


def resize_area(image: np.ndarray, size: int) -> np.ndarray:
    """Area-interpolated resize to `size` x `size` (area averaging avoids aliasing when shrinking)."""
    if image.shape[0] == size and image.shape[1] == size:
        return np.ascontiguousarray(image)
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)


def report_skipped(skipped: Sequence[str], what: str) -> None:
    """Logs unreadable files once per source: a count, then each file."""
    if skipped:
        log.warning("%s: skipped %d unreadable file(s): %s", what, len(skipped), ", ".join(skipped))
