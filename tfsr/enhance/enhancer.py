"""`Enhancer`: detect the faces of a picture, super-resolve them in batches, paste them into it enlarged.

Per picture: the detector finds face boxes (on a downscaled copy of a big picture); each box becomes a
square with the one face framing (`tfsr.faces.square_box` with `FACE_MARGIN`), cut from the
full-resolution picture and area-downsampled to 16x16 (`faces.face_input`); the faces whose square is in
the size range the model helps (`min_face`..`max_face`, measured: docs/enhance.md "Which faces") go through the
Low-to-High generator, a batch at a time; each 64x64 output has its colour matched to its input
(`colour.keep_colour`).

The output is the picture enlarged `scale` times (default 4, the model's factor): the background by
`faces.upscale` (bicubic, chosen by measurement), each face resized to `scale` times its square and
blended in with a feathered mask (`faces.paste_face`). So a face's square in the output is exactly
`scale` times its square in the input, and pixels away from every face are the resampler's, bit for bit.
`scale=1` pastes faces in place, at their own size. The face arithmetic is `tfsr.faces`', which the
Android app mirrors, so phone and desktop compute the same pixels.

Memory: the output is refused before any work when it would exceed `max_output_mb` (the message gives its
size and how to tile); `enhance_tiles` yields it in windows of bounded size instead, each window bit for
bit the same pixels as the whole picture.

Example:
    >>> import tfsr
    >>> enhancer = tfsr.Enhancer("runs/demo")          # doctest: +SKIP
    >>> image, boxes = enhancer.enhance(photo)          # doctest: +SKIP
    >>> image.shape[:2] == (4 * photo.shape[0], 4 * photo.shape[1])  # doctest: +SKIP
    True
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from tfsr import faces
from tfsr.enhance.backends import SuperResolver, load_super_resolver
from tfsr.enhance.colour import COLOUR_MODES, keep_colour
from tfsr.errors import DataError
from tfsr.faces import MODEL_SCALE
from tfsr.faces.detection import Box, FaceDetector, YuNetDetector

#: The one face framing (training crops, `tfsr prepare`, the Android app).
DEFAULT_MARGIN = faces.FACE_MARGIN
#: Ramp of the blending mask, as a fraction of the face square's side.
DEFAULT_FEATHER = 0.15
#: Detection confidence threshold (YuNet scores in [0, 1]).
DEFAULT_THRESHOLD = 0.6
#: Longest side of the copy that the detector sees (YuNet is fast and accurate up to about this).
DEFAULT_DETECT_SIDE = 640
#: Faces super-resolved by default: those whose square is MIN..MAX input pixels. Measured with the demo model
#: (benchmarks/enhance_quality.py, docs/enhance.md "Which faces"): only squares of exactly 16 pixels, the generator's
#: own input size, beat bicubic at x2, x3 and x4 (+0.9 to +1.0 dB PSNR-Y); every other size lost (a square
#: resampled to 16 and a 64x64 output resampled to the square's size cost more than the model gains).
#: Another model: measure it with the same script and pass --min-face/--max-face.
DEFAULT_MIN_FACE = faces.INPUT_SIDE
DEFAULT_MAX_FACE = faces.INPUT_SIDE
#: Largest output picture made in memory; beyond it `enhance` refuses and `enhance_tiles` is the way.
DEFAULT_MAX_OUTPUT_MB = 512
# Faces per generator call: a crowd of hundreds of faces costs a bounded batch, not one huge tensor.
_BATCH = 32
_MAX_SUGGESTED_TILE = 4096
# Bytes of working memory per output pixel of the largest pasted face (float64 resampling, float32 blend).
_FACE_BYTES_PER_PIXEL = 60


@dataclass(frozen=True)
class Face:
    """One super-resolved face.

    Args:
        box: the detection `(x, y, w, h, score)` in the input picture's pixels.
        square: `(x0, y0, side)`, the square that was cropped, in the input (may reach outside it).
        scaled: `square` in the output picture (`scale` times it), where the face is pasted.
        low: the generator's input, float32 16x16x3 in [-1, 1].
        high: the generator's output after colour matching, float32 64x64x3 in [-1, 1].
    """

    box: Box
    square: faces.Square
    scaled: faces.Square
    low: np.ndarray
    high: np.ndarray


@dataclass
class Timings:
    """Seconds spent per stage (`detect`, `crop`, `super_resolve`, `colour`, `upscale`, `paste`), summed."""

    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    faces: int = 0
    pictures: int = 0

    def add(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] += now - since
        return now


def check_scale(scale: Any) -> int:
    """`scale` as an int, or a `DataError` saying why it is not a positive integer."""
    if isinstance(scale, bool) or not isinstance(scale, (int, np.integer)) or scale < 1:
        raise DataError(f"scale must be a positive integer (1 pastes faces in place, {MODEL_SCALE} is the "
                        f"model's factor), got {scale!r}")
    return int(scale)


class Enhancer:
    """Enlarges pictures `scale` times and super-resolves their faces with a Low-to-High generator.

    Args:
        model: a run directory, `.keras` or `.tflite` file, `keras.Model` or `SuperResolver`.
        detector: finds the faces; default YuNet with `threshold` on a copy at most `detect_side` pixels.
        scale: output size over input size, a positive integer (default the model's factor, 4; 1 pastes
            the faces in place).
        margin: extra fraction of a face box's larger side cropped around it (`faces.square_box`);
            the default is the framing the model was trained with.
        feather: width of the blending ramp, a fraction of the face square's side, in [0, 0.5].
        colour: `lowpass`, `mean` or `off` (see `tfsr.enhance.colour`).
        threshold: detection confidence threshold of the default detector.
        detect_side: longest side of the picture copy the default detector sees.
        min_face: faces whose square is smaller than this many input pixels get the background resampler
            only (0: no lower bound).
        max_face: faces whose square is larger than this many input pixels get the background resampler
            only (0: no upper bound). Defaults: the measured range where the model beats bicubic.
        max_output_mb: refuse to make an output picture larger than this many megabytes in memory.
        num_threads: interpreter threads of a `.tflite` model.

    Example:
        >>> enhancer = Enhancer("export/demo_int8.tflite", scale=2)  # doctest: +SKIP
        >>> image, boxes = enhancer.enhance(photo)                    # doctest: +SKIP
    """

    def __init__(
        self,
        model: Any,
        detector: FaceDetector | None = None,
        *,
        scale: int = MODEL_SCALE,
        margin: float = DEFAULT_MARGIN,
        feather: float = DEFAULT_FEATHER,
        colour: str = "lowpass",
        threshold: float = DEFAULT_THRESHOLD,
        detect_side: int = DEFAULT_DETECT_SIDE,
        min_face: int = DEFAULT_MIN_FACE,
        max_face: int = DEFAULT_MAX_FACE,
        max_output_mb: float = DEFAULT_MAX_OUTPUT_MB,
        num_threads: int = 2,
    ) -> None:
        self.scale = check_scale(scale)
        if not 0.0 <= feather <= 0.5:
            raise ValueError(f"feather must be in [0, 0.5], got {feather}")
        if margin < 0:
            raise ValueError(f"margin must be >= 0, got {margin}")
        if colour not in COLOUR_MODES:
            raise ValueError(f"colour must be one of {COLOUR_MODES}, got {colour!r}")
        if min_face < 0 or max_face < 0:
            raise ValueError(f"min_face and max_face must be >= 0, got {min_face} and {max_face}")
        if not max_output_mb > 0:
            raise ValueError(f"max_output_mb must be > 0, got {max_output_mb}")
        self.super_resolver: SuperResolver = load_super_resolver(model, num_threads=num_threads)
        self.detector = detector or YuNetDetector(score_threshold=threshold, max_side=detect_side)
        self.margin = float(margin)
        self.feather = float(feather)
        self.colour = colour
        self.min_face = int(min_face)
        self.max_face = int(max_face)
        self.max_output_mb = float(max_output_mb)
        self.timings = Timings()

    def detect(self, image: np.ndarray) -> list[Box]:
        """The faces of `image` (any layout `enhance` takes), best first."""
        start = time.perf_counter()
        with _one_native_thread():
            boxes = self.detector.detect(_as_colour(image)[..., :3])
        self.timings.add("detect", start)
        return boxes

    def serves(self, side: int) -> bool:
        """Whether a face whose square is `side` input pixels is super-resolved (else: background only)."""
        return (not self.min_face or side >= self.min_face) and (not self.max_face or side <= self.max_face)

    def output_shape(self, shape: Sequence[int]) -> tuple[int, ...]:
        """The shape of the output for an input picture of `shape` (`HxW` or `HxWxC`)."""
        return (shape[0] * self.scale, shape[1] * self.scale, *shape[2:])

    def check_memory(self, shape: Sequence[int], found: Sequence[Face] = (), window: int = 0) -> None:
        """Refuses an output that would not fit in `max_output_mb`, saying how big it is and how to tile it.

        Args:
            shape: the input picture's shape.
            found: the faces that will be pasted (the largest one's working memory counts too).
            window: side of the output windows it is made in (`enhance_tiles`); 0 for the whole picture.

        Raises:
            DataError: over the budget.
        """
        out = self.output_shape(shape)
        channels = out[2] if len(out) > 2 else 1
        h, w = (min(out[0], window), min(out[1], window)) if window else out[:2]
        face = max((f.scaled[2] for f in found), default=0)
        need = (h * w * channels + face * face * _FACE_BYTES_PER_PIXEL) / 1e6
        if need <= self.max_output_mb:
            return
        what = f"{out[1]}x{out[0]} output ({out[0] * out[1] * channels / 1e6:.0f} MB)"
        if window:
            what = f"{w}x{h} window of the {what}"
        # The largest whole multiple of 256 pixels within the budget, and no more than 4096: tiles that
        # image viewers open and that leave memory for the rest.
        tile = min(_MAX_SUGGESTED_TILE, max(256, int((self.max_output_mb * 1e6 / channels) ** 0.5) // 256 * 256))
        face_note = f", a face pasted at {face}x{face} needs {face * face * _FACE_BYTES_PER_PIXEL / 1e6:.0f} MB" if face else ""
        raise DataError(
            f"a {shape[1]}x{shape[0]} picture at --scale {self.scale} makes a {what}{face_note}: over the "
            f"{self.max_output_mb:g} MB budget. Write it in tiles (--tile {tile}: files of at most {tile}x{tile} "
            f"pixels, the same pixels as the whole picture), lower --scale, lower --max-face, or raise "
            f"--max-output-mb"
        )

    def enhance(self, image: np.ndarray, boxes: Sequence[Box] | None = None) -> tuple[np.ndarray, list[Box]]:
        """Enlarges `image` `scale` times and super-resolves its faces.

        Args:
            image: uint8 `HxW` (gray), `HxWx3` (RGB) or `HxWx4` (RGBA).
            boxes: face boxes `(x, y, w, h, score)` to use instead of detecting them.

        Returns:
            `(enhanced, boxes)`: a new image `scale` times the size, same channels and dtype, and the boxes
            (input pixels) of the faces super-resolved.
        """
        enhanced, found = self.enhance_faces(image, boxes)
        return enhanced, [f.box for f in found]

    def enhance_faces(
        self, image: np.ndarray, boxes: Sequence[Box] | None = None, in_place: bool = False
    ) -> tuple[np.ndarray, list[Face]]:
        """Like `enhance`, returning each face's squares, input and output too.

        Args:
            image: uint8 `HxW`, `HxWx3` or `HxWx4`.
            boxes: face boxes to use instead of detecting them.
            in_place: at `scale == 1`, write into `image` itself (a video frame that is not needed
                afterwards) instead of a copy.

        Returns:
            `(enhanced, faces)`.

        Raises:
            DataError: the output would exceed `max_output_mb` (nothing is computed).
        """
        image = _checked(image)
        self.check_memory(image.shape)
        with _one_native_thread():
            found = self._find_faces(_as_colour(image), boxes)
            self.check_memory(image.shape, found)
            out = self._render(image, found, None, in_place and self.scale == 1)
        return out, found

    def enhance_tiles(
        self, image: np.ndarray, tile: int, boxes: Sequence[Box] | None = None
    ) -> tuple[list[Face], Iterator[tuple[tuple[int, int, int, int], np.ndarray]]]:
        """The output in windows of at most `tile` x `tile` pixels, for pictures too large to make whole.

        Faces are found and super-resolved once; each window is then enlarged from its slice of the input
        and gets the faces that reach into it, so its pixels equal the same window of `enhance`'s output
        bit for bit, and memory stays one window (plus the input).

        Args:
            image: uint8 `HxW`, `HxWx3` or `HxWx4`.
            tile: the windows' side in output pixels, `>= 1`.
            boxes: face boxes to use instead of detecting them.

        Returns:
            `(faces, windows)`: `windows` yields `((top, left, bottom, right), pixels)` row by row.

        Raises:
            DataError: one window would exceed `max_output_mb`.
        """
        if tile < 1:
            raise DataError(f"tile must be >= 1, got {tile}")
        image = _checked(image)
        self.check_memory(image.shape, window=tile)
        with _one_native_thread():
            found = self._find_faces(_as_colour(image), boxes)
        self.check_memory(image.shape, found, window=tile)
        height, width = self.output_shape(image.shape)[:2]

        def windows() -> Iterator[tuple[tuple[int, int, int, int], np.ndarray]]:
            for top in range(0, height, tile):
                for left in range(0, width, tile):
                    window = (top, left, min(top + tile, height), min(left + tile, width))
                    with _one_native_thread():
                        yield window, self._render(image, found, window, False)

        return found, windows()

    def _find_faces(self, colour: np.ndarray, boxes: Sequence[Box] | None) -> list[Face]:
        """Detects (unless given), frames, selects by size, crops and super-resolves the faces of a picture."""
        if boxes is None:
            boxes = self.detect(colour)
        start = time.perf_counter()
        squares, inputs, kept = [], [], []
        for box in boxes:
            square = faces.square_box(box[:4], self.margin, colour.shape[:2])
            if not self.serves(square[2]):
                continue
            squares.append(square)
            inputs.append(faces.face_input(colour, *square))
            kept.append(tuple(box))
        start = self.timings.add("crop", start)
        self.timings.pictures += 1
        if not kept:
            return []
        low = np.stack(inputs)
        high = np.concatenate([self.super_resolver(low[i : i + _BATCH]) for i in range(0, len(low), _BATCH)])
        start = self.timings.add("super_resolve", start)
        high = keep_colour(high, low, self.colour)
        self.timings.add("colour", start)
        self.timings.faces += len(kept)
        return [
            Face(b, sq, faces.scale_square(sq, self.scale), lo, hi)
            for b, sq, lo, hi in zip(kept, squares, low, high)
        ]

    def _render(
        self, image: np.ndarray, found: Sequence[Face], window: tuple[int, int, int, int] | None, in_place: bool
    ) -> np.ndarray:
        """The output (or one window of it): the enlarged background with every face pasted at `scale`."""
        start = time.perf_counter()
        # A gray picture is pasted into as RGB; without faces it is enlarged as it is.
        colour = _as_colour(image) if found else image
        if window is None and self.scale == 1:
            out = colour if (in_place or colour is not image) else image.copy()
            top = left = 0
        else:
            height, width = self.output_shape(image.shape)[:2]
            top, left, bottom, right = window or (0, 0, height, width)
            out = faces.upscale_window(colour, self.scale, (top, left, bottom, right))
        start = self.timings.add("upscale", start)
        for face in found:
            x0, y0, side = face.scaled
            x0, y0 = x0 - left, y0 - top
            if x0 < out.shape[1] and y0 < out.shape[0] and x0 + side > 0 and y0 + side > 0:  # reaches the window
                faces.paste_face(out, face.high, x0, y0, side, self.feather, in_place=True)
        if image.ndim == 2 and out.ndim == 3:
            # Gray in, gray out: the mean of the three channels (exact where they are equal, outside faces).
            out = ((out.astype(np.uint16).sum(axis=2) + 1) // 3).astype(np.uint8)
            if in_place and window is None:
                image[...] = out
                out = image
        self.timings.add("paste", start)
        return out


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


def _checked(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ValueError(f"expected a uint8 HxW, HxWx3 or HxWx4 image, got {image.dtype} {image.shape}")
    if not image.size:
        raise ValueError(f"the picture is empty ({image.shape})")
    return image


def _as_colour(image: np.ndarray) -> np.ndarray:
    """A gray `HxW` picture as `HxWx3` (a new array); colour pictures unchanged (the same array)."""
    return np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image


__all__ = [
    "DEFAULT_FEATHER", "DEFAULT_MARGIN", "DEFAULT_MAX_FACE", "DEFAULT_MAX_OUTPUT_MB", "DEFAULT_MIN_FACE",
    "DEFAULT_THRESHOLD", "MODEL_SCALE", "Enhancer", "Face", "Timings", "check_scale",
]
