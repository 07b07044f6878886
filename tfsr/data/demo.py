"""The embedded demo set: real faces from images that installed packages ship, so tfsr runs with no download.

- High-resolution faces: the faces YuNet finds in scikit-image's `astronaut()` and `camera()` and
  matplotlib's `grace_hopper.jpg`. Three faces are too few to train on, so each is cropped many times
  with a jittered box (shift and zoom); training augmentation adds flips, rotation and colour.
- Real low-resolution faces: the 100 face crops of scikit-image's `lfw_subset()` (25x25 gray),
  area-resized to the low-resolution side and repeated over 3 channels.

Built once, then read from `$TFSR_CACHE/demo` (default `~/.cache/tfsr/demo`).

Example:
    >>> from tfsr.data import demo
    >>> hr = demo.hr_faces(64)          # [N, 64, 64, 3] uint8
    >>> lr = demo.lr_faces(16)          # [100, 16, 16, 3] uint8
    >>> test = demo.hr_faces(64, split="test")
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from tfsr.config import DataConfig
from tfsr.data import images
from tfsr.data.crops import split_of

CROPS_PER_FACE = 96
# Bump when the way the demo set is made changes, so stale caches are not reused.
_VERSION = 1
_JITTER_SHIFT = 0.08  # of the crop side
_JITTER_ZOOM = 0.12
_LFW_FACES = 100


def cache_dir() -> Path:
    """Where the demo set is stored: `$TFSR_CACHE/demo`, or `~/.cache/tfsr/demo`."""
    root = os.environ.get("TFSR_CACHE") or Path.home() / ".cache" / "tfsr"
    return Path(root).expanduser() / "demo"


def photos() -> dict[str, np.ndarray]:
    """The three shipped portraits as `[H, W, 3]` uint8 RGB (also handy for `enhance` demos)."""
    import matplotlib.cbook
    import skimage.data

    camera = skimage.data.camera()
    return {
        "astronaut": skimage.data.astronaut(),
        "camera": np.repeat(camera[..., None], 3, axis=-1),
        "grace_hopper": images.read_image(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)),
    }


def hr_faces(size: int = 64, split: str = "all", test_fraction: float = 0.1) -> np.ndarray:
    """Demo high-resolution faces, `[N, size, size, 3]` uint8.

    Args:
        size: side of the crops.
        split: `all`, `train` or `test` (a stable `test_fraction` of the crops is held out).
        test_fraction: fraction held out for `test`.
    """
    crops, keys = _cached(f"hr-{size}-v{_VERSION}", lambda: _build_hr(size))
    return crops[split_of(keys, test_fraction, split)]


def lr_faces(size: int = 16, split: str = "all", test_fraction: float = 0.1) -> np.ndarray:
    """Demo real low-resolution faces (LFW), `[N, size, size, 3]` uint8; arguments as `hr_faces`."""
    crops, keys = _cached(f"lr-{size}-v{_VERSION}", lambda: _build_lr(size))
    return crops[split_of(keys, test_fraction, split)]


def _cached(name: str, build: Callable[[], tuple[np.ndarray, list[str]]]) -> tuple[np.ndarray, list[str]]:
    path = cache_dir() / f"{name}.npz"
    if path.is_file():
        try:
            with np.load(path) as f:
                return f["crops"], [str(k) for k in f["keys"]]
        except (OSError, ValueError, KeyError):
            pass  # A damaged cache is rebuilt below.
    crops, keys = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so a concurrent reader never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz")
    with os.fdopen(fd, "wb") as f:
        np.savez(f, crops=crops, keys=np.asarray(keys))
    os.replace(tmp, path)
    return crops, keys


def _build_hr(size: int) -> tuple[np.ndarray, list[str]]:
    from tfsr.detection import YuNetDetector

    detector = YuNetDetector(score_threshold=0.5)
    rng = np.random.default_rng(2018)
    crops, keys = [], []
    for name, photo in photos().items():
        faces = detector.detect(photo)
        if not faces:
            raise RuntimeError(f"demo set: no face found in {name}")
        x, y, w, h, _ = faces[0]
        x0, y0, side = images.face_square(photo.shape[:2], (x, y, w, h), DataConfig.crop_margin)
        for k in range(CROPS_PER_FACE):
            # The first crop of each face is the unjittered one.
            jitter = k > 0
            s = side * (rng.uniform(1 - _JITTER_ZOOM, 1 + _JITTER_ZOOM) if jitter else 1.0)
            dx, dy = (rng.uniform(-_JITTER_SHIFT, _JITTER_SHIFT, 2) * side) if jitter else (0.0, 0.0)
            cx, cy = x0 + side / 2 + dx, y0 + side / 2 + dy
            box = (int(round(cx - s / 2)), int(round(cy - s / 2)), int(round(s)))
            crops.append(images.crop_square(photo, box, size))
            keys.append(f"{name}-{k}")
    return np.stack(crops), keys


def _build_lr(size: int) -> tuple[np.ndarray, list[str]]:
    import skimage.data

    faces = skimage.data.lfw_subset()[:_LFW_FACES]
    gray = np.clip(np.round(faces * 255.0), 0, 255).astype(np.uint8)
    crops = np.stack([images.resize_area(g, size) for g in gray])
    return np.repeat(crops[..., None], 3, axis=-1), [f"lfw-{i}" for i in range(len(crops))]
