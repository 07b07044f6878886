"""Evaluation image sets read from folders, with the checks that keep a protocol honest.

A test set is every image below a folder (recursively, sorted by path). Every image must have the size
the protocol expects; a set must hold exactly the number of images asked for (or at least that many,
where the rest are documented as unused). Any violation is a `DataError` naming the folder or the file.

Real pairs (`match_pairs`): low-resolution faces are matched to high-resolution ones by name, the path
below the folder without its extension (`a/001.png` pairs with `a/001.jpg`). Files without a partner
are kept in the result by name, so they can be reported rather than silently dropped.
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
    files = _list_images(root, label)
    if count is not None:
        if len(files) < count or (exact and len(files) != count):
            wanted = f"exactly {count}" if exact else f"at least {count}"
            raise DataError(f"{label} {root}: holds {len(files)} images, {wanted} were asked for (--num-images)")
        files = files[:count]
    why = "" if size is not None else f" like {files[0].name}"
    return ImageSet(root=root, files=files, pixels=_read_square(files, label, size, why), label=label)


def _list_images(root: Path, label: str) -> list[Path]:
    if not root.is_dir():  # said here so that the message names the option too
        raise DataError(f"{label} {root}: no such folder")
    files = image_io.list_images(root)
    if not files:
        raise DataError(f"{label} {root}: no images (looked for {', '.join(image_io.IMAGE_EXTENSIONS)})")
    return files


def _read_square(files: list[Path], label: str, size: int | None, why: str) -> np.ndarray:
    """`[N, size, size, 3]` uint8 of `files`; `size` None takes the first image's. `why` ends the error."""
    pixels = []
    for path in files:
        image = image_io.read_image(path)
        h, w = image.shape[:2]
        if size is None:
            size = h
        if h != w or h != size:
            raise DataError(f"{label} {path}: image is {w}x{h}, expected {size}x{size}{why}")
        pixels.append(image)
    return np.stack(pixels)


# Unmatched names shown in a notice; eval.json keeps them all.
_NAMES_SHOWN = 10


@dataclass
class ImagePairs:
    """Low-resolution faces matched by name to high-resolution faces (see the module docstring).

    Args:
        hr: `[N, S, S, 3]` uint8 high-resolution faces of the pairs.
        lr: `[N, S/scale, S/scale, 3]` uint8 low-resolution faces, `lr[i]` the partner of `hr[i]`.
        names: the names of the pairs (path below the folder, no extension), in HR path order.
        root: the low-resolution folder.
        hr_root: the high-resolution folder.
        label: the command-line option that named the low-resolution folder (for messages).
        unmatched_hr: high-resolution files (relative to `hr_root`) with no low-resolution partner.
        unmatched_lr: low-resolution files (relative to `root`) with no high-resolution partner.
    """

    hr: np.ndarray
    lr: np.ndarray
    names: list[str]
    root: Path
    hr_root: Path
    label: str
    unmatched_hr: list[str]
    unmatched_lr: list[str]

    def unmatched_notice(self) -> str | None:
        """One line naming the files left without a partner, or None when every file has one."""
        if not self.unmatched_hr and not self.unmatched_lr:
            return None
        parts = []
        if self.unmatched_hr:
            parts.append(f"{_count(self.unmatched_hr, 'face')} of {self.hr_root} without an LR partner "
                         f"({_shown(self.unmatched_hr)})")
        if self.unmatched_lr:
            parts.append(f"{_count(self.unmatched_lr, 'face')} of {self.root} without an HR partner "
                         f"({_shown(self.unmatched_lr)})")
        return f"{self.label}: {'; '.join(parts)}; measuring the {_count(self.names, 'matched pair')}"


def _count(items: list[str], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _shown(names: list[str], limit: int = _NAMES_SHOWN) -> str:
    more = len(names) - limit
    return ", ".join(names[:limit]) + (f" and {more} more" if more > 0 else "")


def _by_name(files: list[Path], root: Path, label: str) -> dict[str, Path]:
    """`files` keyed by their pairing name, in order; two files of one name (`a.png`, `a.jpg`) are an error."""
    named: dict[str, Path] = {}
    for path in files:
        name = path.relative_to(root).with_suffix("").as_posix()
        if name in named:
            raise DataError(f"{label} {root}: {named[name].name} and {path.name} have the same name; "
                            "pairs are matched by file name without extension, so keep one")
        named[name] = path
    return named


def match_pairs(hr: ImageSet, lr_folder: str | os.PathLike[str], label: str, scale: int = 4) -> ImagePairs:
    """Matches a folder of low-resolution faces to the faces of `hr` by name and reads the matched ones.

    Args:
        hr: the high-resolution faces (already read and checked).
        lr_folder: the low-resolution folder (searched recursively).
        label: what the folder is (`--paired-lr`), for messages.
        scale: every low-resolution face must be `hr.size / scale` on a side.

    Raises:
        DataError: the folder is missing or empty, no file matches one of `hr`, two files share a name,
            or a matched face is unreadable, not square or of the wrong size.
    """
    root = Path(lr_folder).expanduser()
    lr_files = _by_name(_list_images(root, label), root, label)
    hr_files = _by_name(hr.files, hr.root, hr.label)
    names = [name for name in hr_files if name in lr_files]
    if not names:
        raise DataError(
            f"{label} {root}: no image has the name of one in {hr.label} {hr.root} (pairs are matched by file "
            f"name without extension; {label} has {_shown(list(lr_files), 3)}, {hr.label} has "
            f"{_shown(list(hr_files), 3)})"
        )
    size = hr.size // scale
    why = f" (1/{scale} of the {hr.size}x{hr.size} {hr.label} faces)"
    lr = _read_square([lr_files[name] for name in names], label, size, why)
    row = {name: i for i, name in enumerate(hr_files)}
    return ImagePairs(
        hr=hr.pixels[[row[name] for name in names]],
        lr=lr,
        names=names,
        root=root,
        hr_root=hr.root,
        label=label,
        unmatched_hr=[hr_files[n].relative_to(hr.root).as_posix() for n in hr_files if n not in lr_files],
        unmatched_lr=[lr_files[n].relative_to(root).as_posix() for n in lr_files if n not in hr_files],
    )
