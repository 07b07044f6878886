"""The embedded demo set: real faces from images that installed packages ship, so tfsr runs with no download.

- High-resolution faces: the faces YuNet finds in scikit-image's `astronaut()` and `camera()` and
  matplotlib's `grace_hopper.jpg`. Three faces are too few to train on, so each is cropped many times
  with a jittered box (shift and zoom); training augmentation adds flips, rotation and colour.
- "Real" low-resolution faces: the same photos hold no real low-quality faces, so a stand-in camera makes
  them. Half of the crops that are not held out (never the HR training half) go through `CAMERA`, a random
  chain of blur, resizing, sensor noise and JPEG from `tfsr.data.degrade`, drawn per image. The held-out
  crops through the same camera are the test pairs (`test_pairs`) on which `make demo` compares tfsr with
  bicubic. No network is told the chain: stage 1 must learn it from the unpaired LR half.

Built once, then read from `$TFSR_CACHE/demo` (default `~/.cache/tfsr/demo`).

Example:
    >>> from tfsr.data import demo
    >>> hr = demo.hr_faces(64)          # [N, 64, 64, 3] uint8
    >>> lr = demo.lr_faces(16)          # [M, 16, 16, 3] uint8, the camera's faces
    >>> hr_test, lr_test = demo.test_pairs(64, 16)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

from tfsr.atomic import replacing
from tfsr.config import DataConfig
from tfsr.data import images
from tfsr.data.crops import split_of
from tfsr.data.degrade import degrade_each
from tfsr.pixels import to_uint8, to_unit

CROPS_PER_FACE = 96
# The stand-in camera of the demo's low-resolution faces (a name in tfsr.data.degrade.DEGRADATIONS).
CAMERA = "high_order"
_CAMERA_SEED = 2018
# Bump when the way the demo set is made changes, so stale caches are not reused.
_VERSION = 2
_JITTER_SHIFT = 0.08  # of the crop side
_JITTER_ZOOM = 0.12


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


def _roles(keys: list[str], test_fraction: float) -> dict[str, list[int]]:
    """Indices of the held-out crops (`test`) and of the two disjoint halves of the rest (`hr`, `lr`)."""
    test = set(split_of(keys, test_fraction, "test"))
    rest = [i for i in range(len(keys)) if i not in test]
    return {"test": sorted(test), "hr": rest[0::2], "lr": rest[1::2]}


def hr_faces(size: int = 64, split: str = "all", test_fraction: float = 0.1) -> np.ndarray:
    """Demo high-resolution faces, `[N, size, size, 3]` uint8.

    Args:
        size: side of the crops.
        split: `all` (every crop), `train` (the HR training half: crops never seen degraded) or `test` (a
            stable `test_fraction` held out).
        test_fraction: fraction held out for `test`.
    """
    crops, keys = _cached(f"hr-{size}-v{_VERSION}", lambda: _build_hr(size))
    if split == "all":
        return crops
    return crops[_roles(keys, test_fraction)["hr" if split == "train" else split]]


def lr_faces(size: int = 16, split: str = "all", test_fraction: float = 0.1, hr_size: int = 64) -> np.ndarray:
    """The stand-in camera's low-resolution faces, `[N, size, size, 3]` uint8 (`size = hr_size / 4`).

    Args:
        size: side of the LR faces.
        split: `all` / `train` (the unpaired LR half) or `test` (the held-out crops, paired with
            `hr_faces(hr_size, "test")`).
        test_fraction: fraction held out for `test`.
        hr_size: side of the crops the camera degrades.
    """
    crops, keys = _cached(f"hr-{hr_size}-v{_VERSION}", lambda: _build_hr(hr_size))
    role = _roles(keys, test_fraction)["test" if split == "test" else "lr"]
    degraded, _ = _cached(
        f"lr-{CAMERA}-{hr_size}-{size}-{split == 'test'}-{test_fraction}-v{_VERSION}",
        lambda: (camera(crops[role], hr_size // size), [keys[i] for i in role]),
    )
    return degraded


def test_pairs(hr_size: int = 64, lr_size: int = 16, test_fraction: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """The held-out demo faces and what the stand-in camera makes of them: `(hr, lr)` uint8."""
    return hr_faces(hr_size, "test", test_fraction), lr_faces(lr_size, "test", test_fraction, hr_size)


def camera(faces: np.ndarray, scale: int) -> np.ndarray:
    """`faces` (uint8) through the demo camera `CAMERA`, one chain drawn per image, as 8-bit LR faces."""
    return to_uint8(degrade_each(to_unit(faces), CAMERA, _CAMERA_SEED, scale))


def _cached(name: str, build: Callable[[], tuple[np.ndarray, list[str]]]) -> tuple[np.ndarray, list[str]]:
    path = cache_dir() / f"{name}.npz"
    if path.is_file():
        try:
            with np.load(path) as f:
                return f["crops"], [str(k) for k in f["keys"]]
        except (OSError, ValueError, KeyError):
            pass  # A damaged cache is rebuilt below.
    crops, keys = build()
    # Write then rename, so a concurrent reader never sees half a file.
    with replacing(path) as tmp:
        np.savez(tmp, crops=crops, keys=np.asarray(keys))
    return crops, keys


def _build_hr(size: int) -> tuple[np.ndarray, list[str]]:
    from tfsr.faces.detection import YuNetDetector

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
