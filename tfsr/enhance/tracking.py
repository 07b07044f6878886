"""Face boxes through a video: detect every `every` frames, carry the boxes forward in between.

Detection is the most expensive step per frame after the generator, and faces move little between two
frames. So the detector runs on one frame in `every`; in between, each face's box moves on at the velocity
measured between its last two detections. At a detection, each track is matched to the detection that
overlaps its predicted box most (IoU), and its box is smoothed toward the detection, which also removes
the frame-to-frame jitter of the detector that would make a pasted face wobble.

Example:
    >>> from tfsr.detection import YuNetDetector
    >>> tracker = FaceTracker(YuNetDetector(0.6), every=5)
    >>> boxes = tracker.update(np.zeros((360, 640, 3), np.uint8))
    >>> boxes
    []
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tfsr.detection import Box, FaceDetector


@dataclass
class _Track:
    # Centre, size and centre velocity (pixels per frame), in floats so that slow motion accumulates.
    cx: float
    cy: float
    w: float
    h: float
    vx: float
    vy: float
    score: float
    misses: int = 0

    @classmethod
    def start(cls, box: Box) -> "_Track":
        x, y, w, h, score = box
        return cls(x + w / 2, y + h / 2, float(w), float(h), 0.0, 0.0, float(score))

    def box(self) -> Box:
        return (
            int(round(self.cx - self.w / 2)),
            int(round(self.cy - self.h / 2)),
            max(1, int(round(self.w))),
            max(1, int(round(self.h))),
            self.score,
        )


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two `(x, y, w, h, ...)` boxes."""
    ax, ay, aw, ah = a[:4]
    bx, by, bw, bh = b[:4]
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


class FaceTracker:
    """Face boxes for consecutive frames from a detector run on one frame in `every`.

    Args:
        detector: any `FaceDetector`.
        every: run the detector on frames 0, every, 2 * every, ...; 1 detects on every frame.
        smoothing: weight of the predicted box against the new detection at a detection frame, in [0, 1);
            0 takes the detection as it is.
        min_iou: a detection continues a track only if they overlap at least this much.
        max_misses: a track not found by this many detections in a row is dropped (until then it is
            carried on, so that one missed detection does not make a face flicker).

    Example:
        >>> tracker = FaceTracker(detector, every=3, smoothing=0.5)  # doctest: +SKIP
        >>> for frame in frames:                                     # doctest: +SKIP
        ...     boxes = tracker.update(frame)
    """

    def __init__(
        self,
        detector: FaceDetector,
        every: int = 5,
        smoothing: float = 0.5,
        min_iou: float = 0.2,
        max_misses: int = 1,
    ) -> None:
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        if not 0.0 <= smoothing < 1.0:
            raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
        self.detector = detector
        self.every = int(every)
        self.smoothing = float(smoothing)
        self.min_iou = float(min_iou)
        self.max_misses = int(max_misses)
        self.frame_index = 0
        self._tracks: list[_Track] = []

    def update(self, frame: np.ndarray) -> list[Box]:
        """The face boxes of the next frame (detected, or carried forward from the last detection)."""
        detect = self.frame_index % self.every == 0
        self.frame_index += 1
        for t in self._tracks:
            t.cx += t.vx
            t.cy += t.vy
        if detect:
            self._merge(self.detector.detect(frame))
        return [t.box() for t in self._tracks]

    def _merge(self, detections: list[Box]) -> None:
        pairs = sorted(
            ((iou(t.box(), d), ti, di) for ti, t in enumerate(self._tracks) for di, d in enumerate(detections)),
            reverse=True,
        )
        used_tracks: set[int] = set()
        used_dets: set[int] = set()
        a = self.smoothing
        for overlap, ti, di in pairs:
            if overlap < self.min_iou:
                break
            if ti in used_tracks or di in used_dets:
                continue
            used_tracks.add(ti)
            used_dets.add(di)
            t, d = self._tracks[ti], _Track.start(detections[di])
            cx, cy = a * t.cx + (1 - a) * d.cx, a * t.cy + (1 - a) * d.cy
            # The velocity is the motion since the previous detection, smoothed like the box.
            t.vx = a * t.vx + (1 - a) * (cx - (t.cx - t.vx * self.every)) / self.every
            t.vy = a * t.vy + (1 - a) * (cy - (t.cy - t.vy * self.every)) / self.every
            t.cx, t.cy = cx, cy
            t.w, t.h = a * t.w + (1 - a) * d.w, a * t.h + (1 - a) * d.h
            t.score, t.misses = d.score, 0
        kept = []
        for ti, t in enumerate(self._tracks):
            if ti not in used_tracks:
                t.misses += 1
            if t.misses <= self.max_misses:
                kept.append(t)
        kept += [_Track.start(d) for di, d in enumerate(detections) if di not in used_dets]
        self._tracks = kept


__all__ = ["FaceTracker", "iou"]
