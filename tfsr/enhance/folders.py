"""Pictures and folders of pictures through an `Enhancer`: which files, where their outputs go, what is written.

`tfsr enhance` on a picture or a folder is this module plus printing. A folder is searched recursively and
its output folder mirrors it; pictures whose output already exists are skipped (unless overwritten), every
file that is not a picture is listed with the reason, and an unreadable picture is reported and the rest
go on. Each output appears whole or not at all (`tfsr.atomic`); a tiled output appears as all its tiles
or none.

Example:
    >>> report = enhance_pictures(enhancer, Path("photos"), Path("out"), PictureMode())  # doctest: +SKIP
    >>> report.done, report.failures  # doctest: +SKIP
    (12, [])
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tfsr import faces
from tfsr.data.images import list_pictures
from tfsr.enhance.enhancer import Enhancer
from tfsr.enhance.panels import side_by_side
from tfsr.enhance.pictures import check_writable, output_name, read_picture, write_picture
from tfsr.errors import DataError, TfsrError
from tfsr.pixels import to_uint8


@dataclass(frozen=True)
class PictureMode:
    """What is written for each picture.

    Args:
        faces_only: each super-resolved face on its own (`<name>_face<k>`), at its pasted size.
        side_by_side: a panel per face: the crop, bicubic and tfsr (only for pictures with faces).
        panel: the side of each panel's pictures, in pixels.
        tile: when > 0, the enlarged picture as tiles `<name>_r<i>_c<j>` of at most `tile` pixels a side.
        overwrite: redo pictures whose output exists.

    Example:
        >>> PictureMode(tile=4096).tile
        4096
    """

    faces_only: bool = False
    side_by_side: bool = False
    panel: int = 128
    tile: int = 0
    overwrite: bool = False


@dataclass
class PicturesReport:
    """What `enhance_pictures` did.

    Args:
        done: pictures enhanced and written.
        already: pictures skipped because their output existed.
        faces: faces super-resolved in all of them.
        failures: one `"path: reason"` per picture that could not be done.
        skipped: one `"path: reason"` per file of the folder that is not a picture.
    """

    done: int = 0
    already: int = 0
    faces: int = 0
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def faces_path(dst: Path, k: int) -> Path:
    """Where face `k` of a `--faces-only` output goes."""
    return dst.with_name(f"{dst.stem}_face{k}{dst.suffix}")


def tile_path(dst: Path, row: int, col: int) -> Path:
    """Where tile `(row, col)` of a tiled output goes."""
    return dst.with_name(f"{dst.stem}_r{row}_c{col}{dst.suffix}")


def picture_jobs(source: Path, output: Path) -> tuple[list[tuple[Path, Path]], list[str]]:
    """`(input, output)` pairs: one for a picture, the whole tree for a folder (minus an output folder inside it);
    and `"path: reason"` for every file of the folder that is not a picture.

    Raises:
        DataError: a folder's output exists and is not a folder.
    """
    if source.is_file():
        return [(source, output / output_name(source.name) if output.is_dir() else output)], []
    if output.exists() and not output.is_dir():
        raise DataError(f"{output}: the output of a folder must be a folder")
    out_root = output.resolve()

    def inside_output(file: Path) -> bool:
        # The output folder may sit inside the input folder: its pictures are results, not inputs.
        return out_root == file.resolve().parent or out_root in file.resolve().parents

    listing = list_pictures(source)
    jobs = [(f, output / output_name(str(f.relative_to(source)))) for f in listing.pictures if not inside_output(f)]
    skipped = [f"{f}: {reason}" for f, reason in listing.skipped if not inside_output(f)]
    return jobs, skipped


def already_done(dst: Path, mode: PictureMode) -> bool:
    """Whether the output of a picture is already there (its first face or tile, for those modes)."""
    if mode.overwrite:
        return False
    if mode.faces_only:
        return faces_path(dst, 0).exists()
    return tile_path(dst, 0, 0).exists() if mode.tile else dst.exists()


def write_tiles(enhancer: Enhancer, pixels: np.ndarray, dst: Path, tile: int) -> int:
    """Writes the output as tiles `dst_r<i>_c<j>`, one window in memory at a time; all or none of them.

    Returns:
        The number of faces super-resolved.
    """
    found, windows = enhancer.enhance_tiles(pixels, tile)
    parts: list[tuple[Path, Path]] = []
    try:
        for (top, left, _, _), window in windows:
            final = tile_path(dst, top // tile, left // tile)
            part = final.with_name(f".{final.name}.tile{final.suffix}")
            parts.append((write_picture(part, window), final))
        for part, final in parts:
            part.replace(final)
    finally:
        for part, _ in parts:
            part.unlink(missing_ok=True)
    return len(found)


def enhance_picture(enhancer: Enhancer, src: Path, dst: Path, mode: PictureMode) -> int:
    """Enhances one picture and writes what `mode` asks for.

    Returns:
        The number of faces super-resolved.

    Raises:
        DataError: the picture cannot be read or the output cannot be written.
    """
    check_writable(dst)
    pixels = read_picture(src)
    if mode.tile and not (mode.faces_only or mode.side_by_side):
        return write_tiles(enhancer, pixels, dst, mode.tile)
    enhanced, found = enhancer.enhance_faces(pixels)
    if mode.faces_only:
        for k, face in enumerate(found):
            write_picture(faces_path(dst, k), to_uint8(faces.resize_to_side(face.high, face.scaled[2])))
    elif mode.side_by_side:
        if found:
            write_picture(dst, side_by_side(pixels, found, mode.panel, enhancer.feather))
    elif not found and enhancer.scale == 1 and src.suffix.lower() == dst.suffix.lower():
        # Nothing to change: the very same file, not a re-encoded copy.
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.resolve() != dst.resolve():
            shutil.copyfile(src, dst)
    else:
        write_picture(dst, enhanced)
    return len(found)


def enhance_pictures(
    enhancer: Enhancer,
    source: Path,
    output: Path,
    mode: PictureMode,
    progress: Callable[[Iterable[tuple[Path, Path]]], Iterable[tuple[Path, Path]]] = iter,
    on_failure: Callable[[str], None] = lambda message: None,
) -> PicturesReport:
    """Enhances a picture, or every picture of a folder tree, going on past pictures that fail.

    Args:
        enhancer: the loaded enhancer.
        source: a picture or a folder.
        output: the output picture, or a folder (mirroring `source`'s tree).
        mode: what is written for each picture.
        progress: wraps the job list (a progress bar); plain iteration by default.
        on_failure: told each failure as it happens.

    Returns:
        What was done, skipped and failed.

    Raises:
        DataError: there are no pictures at all, or a folder's output is a file.
    """
    jobs, skipped = picture_jobs(source, output)
    if not jobs:
        listed = f" ({len(skipped)} other files: {'; '.join(skipped)})" if skipped else ""
        raise DataError(f"{source}: no pictures found{listed}")
    report = PicturesReport(skipped=skipped)
    for src, dst in progress(jobs):
        if already_done(dst, mode):
            report.already += 1
            continue
        try:
            report.faces += enhance_picture(enhancer, src, dst, mode)
            report.done += 1
        except (TfsrError, OSError) as err:
            message = str(err) if isinstance(err, TfsrError) else f"{src}: {err}"
            report.failures.append(message if str(src) in message else f"{src}: {message}")
            on_failure(report.failures[-1])
    return report


__all__ = [
    "PictureMode", "PicturesReport", "already_done", "enhance_picture", "enhance_pictures", "faces_path",
    "picture_jobs", "tile_path", "write_tiles",
]
