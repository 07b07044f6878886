"""Turning arbitrary photos into a folder of face crops (what `tfsr prepare` runs).

Every photo is read (EXIF-rotated, any colour mode), its faces are found by the face detector, and each
face is cut as a square (`tfsr.faces.square_box` with `FACE_MARGIN`, the framing of `tfsr enhance` and
the Android app) and area-resized to 64x64
(`hr`) or 16x16 (`lr`). A manifest, `manifest.jsonl`, gets one line per face:

    {"source": "party/img_001.jpg", "box": [x, y, w, h], "score": 0.93, "crop": "crops/party__img_001_0.png"}

and one line with `"crop": null` (and an `"error"` if it could not be read) for a photo without usable
faces. Files of a folder that are not pictures are listed in `skipped.txt` with the reason (`tfsr prepare`
prints them too). A second run skips the photos already in the manifest, so an interrupted run resumes. Photos are
processed by a pool of worker threads (one per CPU by default).
"""

from __future__ import annotations

import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from PIL import Image

from tfsr import faces
from tfsr.data import images
from tfsr.faces.detection import YuNetDetector
from tfsr.errors import DataError

log = logging.getLogger(__name__)

MANIFEST = "manifest.jsonl"
SIZES = {"hr": 64, "lr": 16}


@dataclass(frozen=True)
class PrepareOptions:
    """How faces are found and cut.

    Args:
        kind: `hr` (64x64 crops) or `lr` (16x16 crops).
        size: crop side; 0 takes the kind's default.
        score_threshold: detector confidence needed, in [0, 1].
        margin: crop margin (`tfsr.faces.FACE_MARGIN`, the framing enhancement uses; see `tfsr.faces.square_box`).
        max_side: photos are shrunk to this longest side for detection only.
        min_face: skip faces whose longest side is below this (pixels of the photo); 0 keeps all.
        max_face: skip faces whose longest side is this or more; 0 keeps all.
    """

    kind: str = "hr"
    size: int = 0
    score_threshold: float = 0.5
    margin: float = faces.FACE_MARGIN
    max_side: int = 640
    min_face: int = 0
    max_face: int = 0

    @property
    def crop_size(self) -> int:
        return self.size or SIZES[self.kind]


@dataclass
class PrepareSummary:
    """What a run did (photos already in the manifest are counted as `resumed`; `skipped`: files of the folder
    that are not pictures, as `"path: reason"`)."""

    photos: int = 0
    resumed: int = 0
    faces: int = 0
    without_faces: int = 0
    unreadable: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def prepare_faces(
    src: str | os.PathLike, out: str | os.PathLike, options: PrepareOptions, workers: int = 0, progress: bool = True
) -> PrepareSummary:
    """Detects and crops the faces of every photo in `src` (a folder, searched recursively, or one image).

    Args:
        src: folder of photos, or one photo.
        out: output folder (created); receives `crops/`, `manifest.jsonl` and `unreadable.txt`.
        options: detection and cropping settings.
        workers: worker threads; 0 uses one per CPU.
        progress: show a tqdm progress bar.

    Raises:
        DataError: `src` is missing or holds no images.
    """
    if options.kind not in SIZES:
        raise DataError(f"--kind must be one of {', '.join(SIZES)}, got {options.kind!r}")
    src = Path(src).expanduser()
    skipped: list[str] = []
    if src.is_file():
        root, photos = src.parent, [src]
    elif src.is_dir():
        listing = images.list_pictures(src)
        root, photos = src, listing.pictures
        skipped = [f"{p.relative_to(src).as_posix()}: {why}" for p, why in listing.skipped]
    else:
        raise DataError(f"{src}: no such file or folder")
    if not photos:
        what = f"; skipped {len(skipped)} other file(s): {', '.join(skipped)}" if skipped else ""
        raise DataError(f"{src}: no images{what}")
    out = Path(out).expanduser()
    (out / "crops").mkdir(parents=True, exist_ok=True)
    if skipped:
        (out / "skipped.txt").write_text("".join(line + "\n" for line in skipped))
    manifest = out / MANIFEST
    done = _done_sources(manifest)
    todo = [p for p in photos if p.relative_to(root).as_posix() not in done]
    summary = PrepareSummary(photos=len(photos), resumed=len(photos) - len(todo), skipped=skipped)
    if not todo:
        return summary
    workers = workers or os.cpu_count() or 1
    detector = YuNetDetector(options.score_threshold, options.max_side)
    tasks = [(str(p), p.relative_to(root).as_posix(), str(out), options, detector) for p in todo]
    with open(manifest, "a") as f:
        for rows in _run(tasks, workers, progress):
            for row in rows:
                f.write(json.dumps(row) + "\n")
            # Flushed per photo: an interrupted run keeps everything written so far.
            f.flush()
            _count(summary, rows)
    if summary.unreadable:
        (out / "unreadable.txt").write_text("".join(p + "\n" for p in summary.unreadable))
        images.report_skipped(summary.unreadable, str(src))
    return summary


def _done_sources(manifest: Path) -> set[str]:
    done = set()
    if manifest.is_file():
        for line in manifest.read_text().splitlines():
            try:
                done.add(json.loads(line)["source"])
            except (ValueError, KeyError, TypeError):
                continue  # A line cut by an interruption: that photo is simply done again.
    return done


def _count(summary: PrepareSummary, rows: list[dict[str, Any]]) -> None:
    faces = [r for r in rows if r["crop"]]
    summary.faces += len(faces)
    if "error" in rows[0]:
        summary.unreadable.append(rows[0]["source"])
    elif not faces:
        summary.without_faces += 1


def _run(tasks: list[tuple], workers: int, progress: bool) -> Iterator[list[dict[str, Any]]]:
    from tqdm import tqdm

    # Threads, not processes: YuNet, Pillow's decoders and OpenCV release the GIL, so threads use every
    # core; forked workers can deadlock on TensorFlow's threads and spawned ones re-import it (~10 s each).
    with ThreadPoolExecutor(workers) as pool, tqdm(
        total=len(tasks), unit="photo", disable=not progress, desc="prepare"
    ) as bar:
        for rows in pool.map(_process, tasks):
            yield rows
            bar.update()


def _process(task: tuple) -> list[dict[str, Any]]:
    """One photo -> its face crops on disk and their manifest rows (runs in a worker thread)."""
    path, rel, out, options, detector = task
    try:
        image = images.read_image(path)
    except DataError as err:
        return [{"source": rel, "box": None, "score": None, "crop": None, "error": str(err)}]
    rows = []
    stem = rel.rsplit(".", 1)[0].replace("/", "__")
    for k, (x, y, w, h, score) in enumerate(detector.detect(image)):
        side = max(w, h)
        if side < options.min_face or (options.max_face and side >= options.max_face):
            continue
        box = images.face_square(image.shape[:2], (x, y, w, h), options.margin)
        crop = images.crop_square(image, box, options.crop_size)
        if crop is None:
            continue
        name = f"crops/{stem}_{k}.png"
        Image.fromarray(crop).save(Path(out) / name)
        rows.append({"source": rel, "box": [x, y, w, h], "score": round(score, 4), "crop": name})
    return rows or [{"source": rel, "box": None, "score": None, "crop": None}]
