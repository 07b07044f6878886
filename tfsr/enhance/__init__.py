"""Face enhancement: find faces in a picture, run the Low-to-High generator on them and paste them back.

`Enhancer` is the whole pipeline for one picture; `enhance_video` runs it over a video or camera stream;
`demo_images` writes before/after pictures of the shipped portraits.

Example:
    >>> from tfsr.enhance import Enhancer
    >>> image, boxes = Enhancer("runs/demo").enhance(photo)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

# Submodules are imported on first use, so that using one part (say `colour`) does not load OpenCV or LiteRT.
_EXPORTS = {
    "Enhancer": "tfsr.enhance.enhancer",
    "Face": "tfsr.enhance.enhancer",
    "load_super_resolver": "tfsr.enhance.backends",
    "keep_colour": "tfsr.enhance.colour",
    "FaceTracker": "tfsr.enhance.tracking",
    "enhance_video": "tfsr.enhance.video",
    "read_picture": "tfsr.enhance.pictures",
    "write_picture": "tfsr.enhance.pictures",
    "side_by_side": "tfsr.enhance.panels",
    "demo_images": "tfsr.enhance.panels",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'tfsr.enhance' has no attribute {name!r}")


__all__ = sorted(_EXPORTS)
