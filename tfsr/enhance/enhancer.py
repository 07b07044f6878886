"""`Enhancer`: detect the faces of a picture, super-resolve them in one batch, paste them back.

Per picture: the detector finds face boxes (on a downscaled copy of a big picture); each box becomes a
square with a margin (`facecrop.square_box`), cut from the full-resolution picture and area-downsampled to
16x16 (`facecrop.face_input`); all faces of the picture go through the Low-to-High generator in one call;
each 64x64 output has its colour matched to its input (`colour.keep_colour`) and is resized to its square
and blended in with a feathered mask (`facecrop.paste_face`). The face arithmetic is `facecrop`'s, which
the Android app mirrors, so phone and desktop compute the same pixels.

Pixels outside every face square (and the alpha channel) are copied unchanged, and only each square's
region is touched, so a 48-megapixel photo costs one copy of itself plus its faces.

Example:
    >>> import tfsr
    >>> enhancer = tfsr.Enhancer("runs/demo")          # doctest: +SKIP
    >>> image, boxes = enhancer.enhance(photo)          # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from tfsr.detection import Box, FaceDetector
from tfsr.enhance import facecrop
from tfsr.enhance.backends import SuperResolver, load_super_resolver
from tfsr.enhance.colour import keep_colour

#: Extra fraction of a detected box's larger side around the face: 0.4 is the data section's default
#: `crop_margin` of 0.2 on each edge, so the generator sees faces framed as in training.
DEFAULT_MARGIN = 0.4
#: Ramp of the blending mask, as a fraction of the face square's side.
DEFAULT_FEATHER = 0.15
#: Detection confidence threshold (YuNet scores in [0, 1]).
DEFAULT_THRESHOLD = 0.6
#: Longest side of the copy that the detector sees (YuNet is fast and accurate up to about this).
DEFAULT_DETECT_SIDE = 640


@dataclass(frozen=True)
class Face:
    """One enhanced face.

    Args:
        box: the detection `(x, y, w, h, score)` in the picture's pixels.
        square: `(x0, y0, side)`, the square that was cropped and pasted (may reach outside the picture).
        low: the generator's input, float32 16x16x3 in [-1, 1].
        high: the generator's output after colour matching, float32 64x64x3 in [-1, 1].
    """

    box: Box
    square: tuple[int, int, int]
    low: np.ndarray
    high: np.ndarray


@dataclass
class Timings:
    """Seconds spent per stage (`detect`, `crop`, `super_resolve`, `colour`, `paste`), summed over calls."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    faces: int = 0
    pictures: int = 0

    def add(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] += now - since
        return now


class Enhancer:
    """Super-resolves the faces of pictures with a Low-to-High generator.

    Args:
        model: a run directory, `.keras` or `.tflite` file, `keras.Model` or `SuperResolver`.
        detector: finds the faces; default YuNet with `threshold` on a copy at most `detect_side` pixels.
        margin: extra fraction of a face box's larger side cropped around it (see `facecrop.square_box`).
        feather: width of the blending ramp, a fraction of the face square's side, in [0, 0.5].
        colour: `lowpass`, `mean` or `off` (see `tfsr.enhance.colour`).
        threshold: detection confidence threshold of the default detector.
        detect_side: longest side of the picture copy the default detector sees.
        max_face: faces whose square is larger than this many pixels are left alone (0: enhance all). A
            64x64 result pasted over a much larger sharp face would blur it.
        num_threads: interpreter threads of a `.tflite` model.

    Example:
        >>> enhancer = Enhancer("export/demo_int8.tflite", threshold=0.7)  # doctest: +SKIP
        >>> image, boxes = enhancer.enhance(photo)                          # doctest: +SKIP
    """

    def __init__(
        self,
        model: Any,
        detector: FaceDetector | None = None,
        *,
        margin: float = DEFAULT_MARGIN,
        feather: float = DEFAULT_FEATHER,
        colour: str = "lowpass",
        threshold: float = DEFAULT_THRESHOLD,
        detect_side: int = DEFAULT_DETECT_SIDE,
        max_face: int = 0,
        num_threads: int = 2,
    ) -> None:
        from tfsr.enhance.colour import COLOUR_MODES

        if not 0.0 <= feather <= 0.5:
            raise ValueError(f"feather must be in [0, 0.5], got {feather}")
        if margin < 0:
            raise ValueError(f"margin must be >= 0, got {margin}")
        if colour not in COLOUR_MODES:
            raise ValueError(f"colour must be one of {COLOUR_MODES}, got {colour!r}")
        self.super_resolver: SuperResolver = load_super_resolver(model, num_threads=num_threads)
        if detector is None:
            from tfsr.detection import YuNetDetector

            detector = YuNetDetector(score_threshold=threshold, max_side=detect_side)
        self.detector = detector
        self.margin = float(margin)
        self.feather = float(feather)
        self.colour = colour
        self.max_face = int(max_face)
        self.timings = Timings()

    def detect(self, image: np.ndarray) -> list[Box]:
        """The faces of `image` (any layout `enhance` takes), best first."""
        start = time.perf_counter()
        with _one_native_thread():
            boxes = self.detector.detect(_as_colour(image)[..., :3])
        self.timings.add("detect", start)
        return boxes

    def enhance(self, image: np.ndarray, boxes: Sequence[Box] | None = None) -> tuple[np.ndarray, list[Box]]:
        """Enhances every face of `image`.

        Args:
            image: uint8 `HxW` (gray), `HxWx3` (RGB) or `HxWx4` (RGBA).
            boxes: face boxes `(x, y, w, h, score)` to use instead of detecting them.

        Returns:
            `(enhanced, boxes)`: a new image of the same shape and dtype, and the boxes of the faces enhanced.
        """
        enhanced, faces = self.enhance_faces(image, boxes)
        return enhanced, [f.box for f in faces]

    def enhance_faces(
        self, image: np.ndarray, boxes: Sequence[Box] | None = None, in_place: bool = False
    ) -> tuple[np.ndarray, list[Face]]:
        """Like `enhance`, returning each face's square, input and output too.

        Args:
            image: uint8 `HxW`, `HxWx3` or `HxWx4`.
            boxes: face boxes to use instead of detecting them.
            in_place: write into `image` itself (a video frame that is not needed afterwards) instead of a copy.

        Returns:
            `(enhanced, faces)`.
        """
        with _one_native_thread():
            return self._enhance_faces(np.asarray(image), boxes, in_place)

    def _enhance_faces(
        self, image: np.ndarray, boxes: Sequence[Box] | None, in_place: bool
    ) -> tuple[np.ndarray, list[Face]]:
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
            raise ValueError(f"expected a uint8 HxW, HxWx3 or HxWx4 image, got {image.dtype} {image.shape}")
        colour = _as_colour(image)
        if boxes is None:
            boxes = self.detect(colour)
        start = time.perf_counter()
        squares, inputs, kept = [], [], []
        for box in boxes:
            square = facecrop.square_box(box[:4], self.margin, colour.shape[:2])
            if self.max_face and square[2] > self.max_face:
                continue
            squares.append(square)
            inputs.append(facecrop.face_input(colour, *square))
            kept.append(tuple(box))
        start = self.timings.add("crop", start)
        self.timings.pictures += 1
        if not kept:
            return (image if in_place else image.copy()), []
        low = np.stack(inputs)
        high = self.super_resolver(low)
        start = self.timings.add("super_resolve", start)
        high = keep_colour(high, low, self.colour)
        start = self.timings.add("colour", start)
        out = colour if (in_place or colour is not image) else image.copy()
        for (x0, y0, side), face in zip(squares, high):
            facecrop.paste_face(out, face, x0, y0, side, self.feather, in_place=True)
        if image.ndim == 2:
            # Gray in, gray out: the mean of the three channels (exact where they are equal, outside faces).
            out = ((out.astype(np.uint16).sum(axis=2) + 1) // 3).astype(np.uint8)
            if in_place:
                image[...] = out
                out = image
        self.timings.add("paste", start)
        self.timings.faces += len(kept)
        return out, [Face(b, s, lo, hi) for b, s, lo, hi in zip(kept, squares, low, high)]


@functools.lru_cache(maxsize=1)
def _thread_controller() -> Any:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    return ThreadpoolController()


def _one_native_thread() -> contextlib.AbstractContextManager[Any]:
    """Limits OpenBLAS and OpenMP to one thread while faces are detected, cropped and pasted.

    Both spin-wait for their worker threads, which then wait on the generator's and other processes'
    threads: on two busy cores a pasted face (`facecrop`'s small BLAS products) took 40-100 ms instead of
    2-3 ms, and a YuNet detection (OpenMP) 1.45 s instead of 0.14 s (measured). TensorFlow and LiteRT have
    their own thread pools and are not affected. A no-op without threadpoolctl.
    """
    controller = _thread_controller()
    return controller.limit(limits=1) if controller is not None else contextlib.nullcontext()


def _as_colour(image: np.ndarray) -> np.ndarray:
    """A gray `HxW` picture as `HxWx3` (a new array); colour pictures unchanged (the same array)."""
    return np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image


__all__ = ["DEFAULT_FEATHER", "DEFAULT_MARGIN", "DEFAULT_THRESHOLD", "Enhancer", "Face", "Timings"]
