"""Face detection: the one interface that `prepare`, `enhance` and the demo set use to find faces.

The paper crops every face "in a consistent manner" with a face detector (sec. 3.6). tfsr uses YuNet
through the `yuface` package (weights built in, no download). Anything with a `detect` method of the
`FaceDetector` shape can replace it.

Boxes are `(x, y, w, h, score)` in pixels of the image passed in, with `score` in [0, 1].

Example:
    >>> from tfsr.faces.detection import YuNetDetector
    >>> detector = YuNetDetector(score_threshold=0.6)
    >>> faces = detector.detect(image_rgb_uint8)  # [(x, y, w, h, score), ...], best first
"""

from __future__ import annotations

import warnings
from typing import Protocol, runtime_checkable

import cv2
import numpy as np

Box = tuple[int, int, int, int, float]


@runtime_checkable
class FaceDetector(Protocol):
    """Finds faces in an RGB image.

    `detect(image)` takes an `[H, W, 3]` uint8 RGB array and returns a list of `(x, y, w, h, score)`
    boxes in that image's pixels, sorted by decreasing score.
    """

    def detect(self, image: np.ndarray) -> list[Box]: ...


class YuNetDetector:
    """YuNet (libfacedetection) through the `yuface` package.

    YuNet is trained for images up to about 960 px; big photos are downscaled so that their longest side is
    `max_side` before detection (faster, and the boxes are mapped back to the original pixels).

    Args:
        score_threshold: keep faces whose confidence is at least this, in [0, 1].
        max_side: longest side an image is shrunk to before detection; 0 disables shrinking.

    Example:
        >>> detector = YuNetDetector(score_threshold=0.5, max_side=640)
        >>> boxes = detector.detect(np.zeros((480, 640, 3), np.uint8))
        >>> boxes
        []
    """

    def __init__(self, score_threshold: float = 0.5, max_side: int = 640) -> None:
        if not 0.0 <= score_threshold <= 1.0:
            raise ValueError(f"score_threshold must be in [0, 1], got {score_threshold}")
        if max_side < 0:
            raise ValueError(f"max_side must be >= 0, got {max_side}")
        self.score_threshold = float(score_threshold)
        self.max_side = int(max_side)

    def detect(self, image: np.ndarray) -> list[Box]:
        import yuface

        image = _as_rgb_uint8(image)
        h, w = image.shape[:2]
        factor = 1.0
        if self.max_side and max(h, w) > self.max_side:
            factor = self.max_side / max(h, w)
            image = cv2.resize(
                image, (max(1, round(w * factor)), max(1, round(h * factor))), interpolation=cv2.INTER_AREA
            )
        bgr = np.ascontiguousarray(image[..., ::-1])
        with warnings.catch_warnings():
            # yuface warns about images over 960 px; callers that disable shrinking chose that.
            warnings.simplefilter("ignore")
            confs, boxes, _ = yuface.detect(bgr, conf=0.0)
        found = []
        for conf, (x, y, bw, bh) in zip(confs.astype(float) / 100.0, boxes.astype(float)):
            if conf < self.score_threshold or bw <= 0 or bh <= 0:
                continue
            found.append(
                (
                    int(round(x / factor)),
                    int(round(y / factor)),
                    int(round(bw / factor)),
                    int(round(bh / factor)),
                    float(conf),
                )
            )
        found.sort(key=lambda b: -b[4])
        return found


def _as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise ValueError(f"detect() needs a uint8 image, got {image.dtype}")
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] not in (3, 4):
        raise ValueError(f"detect() needs an [H, W, 3] RGB image, got shape {image.shape}")
    return image[..., :3]


__all__ = ["Box", "FaceDetector", "YuNetDetector"]
