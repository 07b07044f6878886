"""Enhancing a video file or a camera stream frame by frame (OpenCV for decoding, encoding and display).

Faces are detected on one frame in `every` and tracked in between (`FaceTracker`); each frame's faces go
through the generator in one batch and are pasted into the frame enlarged `enhancer.scale` times (in place
at scale 1, the command's default for videos and cameras). Each frame is encoded in a
background thread while the next one is decoded and enhanced. A camera stream is shown in a
window when the machine has a display (and OpenCV a GUI), and recorded to a file when an output is given;
headless, an output file is required.

Example:
    >>> stats = enhance_video(enhancer, "clip.mp4", "clip_enhanced.mp4", every=5)  # doctest: +SKIP
    >>> print(f"{stats.fps:.1f} fps")                                               # doctest: +SKIP
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from tfsr.enhance.enhancer import Enhancer
from tfsr.enhance.tracking import FaceTracker
from tfsr.errors import DataError

#: Containers `tfsr enhance` recognises as videos, and the codec each is written with.
VIDEO_CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "XVID"}
VIDEO_EXTENSIONS = (*VIDEO_CODECS, ".webm")
# A camera that does not say its frame rate is recorded at this rate.
_DEFAULT_FPS = 25.0
_WINDOW = "tfsr enhance (q to quit)"


@dataclass
class VideoStats:
    """What one video run did.

    Args:
        frames: frames written or shown.
        seconds: wall time of the frame loop (decoding, enhancing, encoding).
        faces: faces enhanced over all frames.
    """

    frames: int
    seconds: float
    faces: int

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def open_source(source: str | int):
    """Opens a video file or a camera index with OpenCV.

    Raises:
        DataError: it cannot be opened or gives no frame.
    """
    import cv2

    capture = cv2.VideoCapture(source)
    if not capture.isOpened():
        what = f"camera {source}" if isinstance(source, int) else str(source)
        raise DataError(f"{what}: cannot open it as a video")
    return capture


def open_writer(path: str | os.PathLike[str], fps: float, size: tuple[int, int]):
    """An OpenCV writer for `path`, its codec chosen by the extension (see `VIDEO_CODECS`).

    Raises:
        DataError: the extension has no codec here, or the file cannot be created.
    """
    import cv2

    path = Path(path)
    codec = VIDEO_CODECS.get(path.suffix.lower())
    if codec is None:
        raise DataError(f"{path}: cannot write this video format (use one of {', '.join(VIDEO_CODECS)})")
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, size)
    if not writer.isOpened():
        raise DataError(f"{path}: cannot create the video file")
    return writer


def display_available() -> bool:
    """Whether a live window can be shown: a display exists and OpenCV was built with a GUI."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    import cv2

    try:
        cv2.namedWindow(_WINDOW)
        cv2.destroyWindow(_WINDOW)
    except cv2.error:  # the headless build has no window functions
        return False
    return True


def video_output(source: Path | int, output: Path | None) -> Path | None:
    """Where a video's result goes: `output`, or inside it when it is a folder (`camera<N>.mp4` for a camera,
    the video's own name otherwise, made `.mp4` when OpenCV cannot write that format)."""
    if output is None or not output.is_dir():
        return output
    name = f"camera{source}.mp4" if isinstance(source, int) else source.name
    out = output / name
    return out if out.suffix.lower() in VIDEO_CODECS else out.with_suffix(".mp4")


def enhance_video(
    enhancer: Enhancer,
    source: str | os.PathLike[str] | int,
    output: str | os.PathLike[str] | None,
    every: int = 5,
    smoothing: float = 0.3,
    show: bool = False,
    max_frames: int = 0,
    progress: bool = True,
    on_frame: Callable[[int, np.ndarray], None] | None = None,
) -> VideoStats:
    """Enhances the faces of every frame of a video file or camera stream.

    Args:
        enhancer: the `Enhancer` (its detector finds the faces on detection frames).
        source: a video file or a camera index.
        output: the video file to write (its extension picks the codec), or None to only show.
        every: detect faces on one frame in `every`, track them in between.
        smoothing: box smoothing at detection frames (see `FaceTracker`).
        show: show each enhanced frame in a window (stop with q or Esc).
        max_frames: stop after this many frames (0: at the end of the stream).
        progress: show a progress bar.
        on_frame: called with `(index, rgb_frame)` after each frame is enhanced.

    Returns:
        `VideoStats` of the run. The output file is complete even when the run is interrupted (Ctrl-C).

    Raises:
        DataError: the source cannot be opened, or the output cannot be written.
    """
    import cv2
    from tqdm import tqdm

    if output is None and not show:
        raise DataError("no output: give an output video file or show the stream in a window")
    if output is not None and Path(output).suffix.lower() not in VIDEO_CODECS:
        raise DataError(f"{output}: cannot write this video format (use one of {', '.join(VIDEO_CODECS)})")
    is_camera = isinstance(source, int)
    capture = open_source(source if is_camera else str(source))
    fps = capture.get(cv2.CAP_PROP_FPS) or _DEFAULT_FPS
    total = 0 if is_camera else int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    if max_frames:
        total = min(total, max_frames) if total else max_frames
    tracker = FaceTracker(enhancer, every=every, smoothing=smoothing)
    writer = None
    # Encoding a frame (5-10 ms at 720p, one core, without the GIL) overlaps the next frame's decoding,
    # cropping and pasting, which leave the other core idle. One frame at a time: output order, flat memory.
    encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tfsr-encode")
    encoding: Future[None] | None = None
    frames = faces = 0
    bar = tqdm(total=total or None, unit="frame", disable=not progress, desc=str(source))
    start = time.perf_counter()
    try:
        while not max_frames or frames < max_frames:
            ok, bgr = capture.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            rgb, enhanced = enhancer.enhance_faces(rgb, tracker.update(rgb), in_place=True)
            faces += len(enhanced)
            if on_frame is not None:
                on_frame(frames, rgb)
            # The decoded frame's buffer is reused at scale 1; an enlarged frame needs its own.
            bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR, dst=bgr if rgb.shape == bgr.shape else None)
            if output is not None:
                if writer is None:
                    writer = open_writer(output, fps, (bgr.shape[1], bgr.shape[0]))
                if encoding is not None:
                    encoding.result()
                # `capture.read` gives a new array for every frame, so this one stays the encoder's.
                encoding = encoder.submit(writer.write, bgr)
            frames += 1
            bar.update(1)
            if show:
                cv2.imshow(_WINDOW, bgr)
                if cv2.waitKey(1) & 0xFF in (ord("q"), 27):
                    break
    except KeyboardInterrupt:
        if not is_camera:
            raise
    finally:
        encoder.shutdown(wait=True)  # the last frame is written even when the loop was interrupted
        seconds = time.perf_counter() - start
        bar.close()
        capture.release()
        if writer is not None:
            writer.release()
        if show:
            cv2.destroyAllWindows()
    if encoding is not None:
        encoding.result()
    if frames == 0 and not is_camera:
        raise DataError(f"{source}: no frame could be decoded")
    return VideoStats(frames=frames, seconds=seconds, faces=faces)


__all__ = [
    "VIDEO_EXTENSIONS", "VideoStats", "display_available", "enhance_video", "open_source", "open_writer", "video_output",
]
