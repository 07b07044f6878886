"""Face boxes through a video: detect every `every` frames, carry the boxes forward in between.

Detection is the most expensive step per frame after the generator, and faces move little between two
frames. So the detector runs on one frame in `every`; in between, each face's box moves on at the velocity
measured between its last two detections. At a detection, a detection continues the track whose predicted
centre is nearest (within `max_shift` face sizes), and the track's box and velocity are smoothed toward
it, which also removes the frame-to-frame jitter of the detector that would make a pasted face wobble;
the other detections start new tracks.

Example:
    >>> from tfsr.faces.detection import YuNetDetector
    >>> tracker = FaceTracker(YuNetDetector(0.6), every=5)
    >>> boxes = tracker.update(np.zeros((360, 640, 3), np.uint8))
    >>> boxes
    []
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tfsr.faces.detection import Box, FaceDetector


@dataclass
class _Track:
    # Centre, size and centre velocity (pixels per frame), in floats so that slow motion accumulates; and
    # where and when the face was last detected, which the velocity is measured from.
    cx: float
    cy: float
    w: float
    h: float
    score: float
    seen_x: float
    seen_y: float
    seen_frame: int
    vx: float = 0.0
    vy: float = 0.0
    misses: int = 0

    @classmethod
    def start(cls, box: Box, frame: int) -> "_Track":
        x, y, w, h, score = box
        cx, cy = x + w / 2, y + h / 2
        return cls(cx, cy, float(w), float(h), float(score), cx, cy, frame)

    def box(self) -> Box:
        return (
            int(round(self.cx - self.w / 2)),
            int(round(self.cy - self.h / 2)),
            max(1, int(round(self.w))),
            max(1, int(round(self.h))),
            self.score,
        )

    def distance(self, box: Box) -> float:
        """Centre distance to a detection, in units of this track's size."""
        x, y, w, h = box[:4]
        return float(np.hypot(x + w / 2 - self.cx, y + h / 2 - self.cy)) / max(self.w, self.h, 1.0)


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
        smoothing: weight of the predicted box (and velocity) against the new detection at a detection
            frame, in [0, 1); 0 takes the detection as it is.
        max_shift: a detection continues a track only if its centre is within this many face sizes of the
            track's predicted centre.
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
        smoothing: float = 0.3,
        max_shift: float = 0.75,
        max_misses: int = 1,
    ) -> None:
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        if not 0.0 <= smoothing < 1.0:
            raise ValueError(f"smoothing must be in [0, 1), got {smoothing}")
        self.detector = detector
        self.every = int(every)
        self.smoothing = float(smoothing)
        self.max_shift = float(max_shift)
        self.max_misses = int(max_misses)
        self.frame_index = 0
        self._tracks: list[_Track] = []

    def update(self, frame: np.ndarray) -> list[Box]:
        """The face boxes of the next frame (detected, or carried forward from the last detection)."""
        index = self.frame_index
        self.frame_index += 1
        for t in self._tracks:
            t.cx += t.vx
            t.cy += t.vy
        if index % self.every == 0:
            self._merge(self.detector.detect(frame), index)
        return [t.box() for t in self._tracks]

    def _merge(self, detections: list[Box], frame: int) -> None:
        pairs = sorted(
            (t.distance(d), ti, di) for ti, t in enumerate(self._tracks) for di, d in enumerate(detections)
        )
        used_tracks: set[int] = set()
        used_dets: set[int] = set()
        a = self.smoothing
        for shift, ti, di in pairs:
            if shift > self.max_shift:
                break
            if ti in used_tracks or di in used_dets:
                continue
            used_tracks.add(ti)
            used_dets.add(di)
            t, d = self._tracks[ti], _Track.start(detections[di], frame)
            # Velocity from detection to detection (the detector's own positions, not the smoothed ones).
            elapsed = frame - t.seen_frame
            t.vx = a * t.vx + (1 - a) * (d.cx - t.seen_x) / elapsed
            t.vy = a * t.vy + (1 - a) * (d.cy - t.seen_y) / elapsed
            t.cx, t.cy = a * t.cx + (1 - a) * d.cx, a * t.cy + (1 - a) * d.cy
            t.w, t.h = a * t.w + (1 - a) * d.w, a * t.h + (1 - a) * d.h
            t.seen_x, t.seen_y, t.seen_frame = d.cx, d.cy, frame
            t.score, t.misses = d.score, 0
        kept = []
        for ti, t in enumerate(self._tracks):
            if ti not in used_tracks:
                t.misses += 1
            if t.misses <= self.max_misses:
                kept.append(t)
        kept += [_Track.start(d, frame) for di, d in enumerate(detections) if di not in used_dets]
        self._tracks = kept


__all__ = ["FaceTracker", "iou"]
