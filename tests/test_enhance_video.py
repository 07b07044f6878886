"""Videos and camera streams: the face tracker between detections, and `tfsr enhance` on a real video file."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from conftest import video_frames

from tfsr.cli import main
from tfsr.enhance import video
from tfsr.enhance.tracking import FaceTracker, iou


class MovingFace:
    """A detector whose one face moves `speed` pixels per frame to the right; it counts its calls."""

    def __init__(self, speed=2.0, jitter=0.0, missing=()):
        self.speed, self.jitter, self.missing = speed, jitter, set(missing)
        self.frame = 0
        self.calls = 0

    def truth(self, frame):
        return (100 + self.speed * frame, 50, 40, 40)

    def detect(self, image):
        self.calls += 1
        if self.frame in self.missing:
            return []
        x, y, w, h = self.truth(self.frame)
        x += self.jitter * (1 if self.calls % 2 else -1)
        return [(int(round(x)), y, w, h, 0.9)]


def _run(tracker, detector, frames):
    out = []
    for f in range(frames):
        detector.frame = f
        out.append(tracker.update(np.zeros((8, 8, 3), np.uint8)))
    return out


def test_the_detector_runs_on_one_frame_in_every() -> None:
    detector = MovingFace()
    _run(FaceTracker(detector, every=3), detector, 10)
    assert detector.calls == 4  # frames 0, 3, 6, 9


def test_boxes_move_on_between_detections() -> None:
    detector = MovingFace(speed=3.0)
    boxes = _run(FaceTracker(detector, every=5, smoothing=0.0), detector, 20)
    # After two detections the velocity is known: frames in between follow the face to within a pixel.
    for f in range(11, 20):
        assert abs(boxes[f][0][0] - detector.truth(f)[0]) <= 1.0, f
    # Without tracking (velocity 0) they would lag by up to 4 frames of motion.
    assert detector.truth(14)[0] - detector.truth(10)[0] == 12


def test_smoothing_damps_detector_jitter() -> None:
    raw_detector = MovingFace(speed=0.0, jitter=6.0)
    raw = _run(FaceTracker(raw_detector, every=1, smoothing=0.0), raw_detector, 30)
    assert np.ptp([b[0][0] for b in raw[10:]]) == 12  # without smoothing the boxes swing with the detector
    detector = MovingFace(speed=0.0, jitter=6.0)
    smooth = _run(FaceTracker(detector, every=1, smoothing=0.7), detector, 30)
    xs = np.asarray([b[0][0] for b in smooth[10:]])
    assert np.ptp(xs) < 12 * 0.5  # raw detections swing 12 pixels


def test_a_face_far_from_every_track_starts_a_new_one() -> None:
    class TwoFaces(MovingFace):
        def detect(self, image):
            return super().detect(image) + ([(300, 300, 40, 40, 0.8)] if self.frame >= 2 else [])

    detector = TwoFaces(speed=4.0)
    boxes = _run(FaceTracker(detector, every=2), detector, 6)
    assert [len(b) for b in boxes] == [1, 1, 2, 2, 2, 2]


def test_a_missed_detection_keeps_the_face_then_drops_it() -> None:
    detector = MovingFace(speed=0.0, missing=range(4, 100))
    boxes = _run(FaceTracker(detector, every=2, max_misses=1), detector, 10)
    assert len(boxes[4]) == 1 and len(boxes[5]) == 1  # one miss: carried on
    assert boxes[6] == []  # two misses: gone


def test_iou() -> None:
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """12 frames of 320x240: the astronaut's face moving right over a gray background."""
    import skimage.data

    face = cv2.resize(skimage.data.astronaut()[20:260, 120:360], (120, 120), interpolation=cv2.INTER_AREA)
    path = tmp_path_factory.mktemp("video") / "clip.avi"
    writer = video.open_writer(path, 10.0, (320, 240))
    for f in range(12):
        frame = np.full((240, 320, 3), 128, np.uint8)
        frame[60:180, 40 + 6 * f : 160 + 6 * f] = face
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def test_cli_enhances_a_video_frame_by_frame(model_file, clip, tmp_path, capsys) -> None:
    out = tmp_path / "out.mp4"
    code = main(["enhance", str(clip), "-o", str(out), "--model", str(model_file), "--every", "4", "--quiet",
                 "--min-face", "0", "--max-face", "0"])
    printed = capsys.readouterr().out
    assert code == 0
    frames_in, frames_out = video_frames(clip), video_frames(out)
    assert len(frames_out) == len(frames_in) == 12
    assert frames_out[0].shape == (240, 320, 3)
    assert "12 frames, 12 faces" in printed  # one face per frame: tracked, never doubled and "fps" in printed and "super_resolve" in printed
    # The face area changed (a random generator), the far corner did not (beyond codec noise).
    diff = np.abs(frames_out[6].astype(int) - frames_in[6].astype(int)).mean(axis=2)
    assert diff[80:160, 100:180].mean() > 10
    assert diff[:20, -40:].mean() < 3


def test_a_headless_camera_is_recorded_to_a_file(model_file, clip, tmp_path, capsys, monkeypatch) -> None:
    opened = []

    def fake_camera(source):
        opened.append(source)
        return cv2.VideoCapture(str(clip))  # stands in for camera 0

    monkeypatch.setattr(video, "open_source", fake_camera)
    monkeypatch.setattr(video, "display_available", lambda: False)
    code = main(["enhance", "0", "--model", str(model_file)])
    assert code == 2 and "-o FILE.mp4" in capsys.readouterr().err
    out = tmp_path / "camera.avi"
    code = main(["enhance", "0", "-o", str(out), "--model", str(model_file), "--max-frames", "5", "--quiet"])
    assert code == 0 and opened == [0]
    assert len(video_frames(out)) == 5


def test_video_errors(model_file, clip, tmp_path, capsys) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all")
    assert main(["enhance", str(broken), "-o", str(tmp_path / "x.mp4"), "--model", str(model_file), "--quiet"]) == 2
    assert "broken.mp4" in capsys.readouterr().err
    assert main(["enhance", str(clip), "-o", str(tmp_path / "x.gif"), "--model", str(model_file)]) == 2
    assert "x.gif" in capsys.readouterr().err
    assert main(["enhance", str(clip), "-o", str(tmp_path / "x.mp4"), "--model", str(model_file), "--side-by-side"]) == 2


def test_a_video_at_scale_2_is_enlarged_with_its_faces(model_file, clip, tmp_path, capsys) -> None:
    out = tmp_path / "big.avi"
    code = main(["enhance", str(clip), "-o", str(out), "--model", str(model_file), "--quiet", "--max-frames", "3",
                 "--scale", "2", "--min-face", "0", "--max-face", "0"])
    assert code == 0 and "3 frames, 3 faces" in capsys.readouterr().out
    frames_in, frames_out = video_frames(clip)[:3], video_frames(out)
    assert [f.shape for f in frames_out] == [(480, 640, 3)] * 3
    # Away from the face: the bicubic enlargement of the frame (up to MJPG's noise).
    big = cv2.resize(frames_in[0], (640, 480), interpolation=cv2.INTER_CUBIC)
    corner = (slice(0, 80), slice(480, 640))
    assert np.abs(frames_out[0][corner].astype(int) - big[corner].astype(int)).mean() < 3
