"""The Enhancer pipeline at scale 1 (faces pasted in place): crop -> batched generator calls -> colour
matching -> feathered paste. The scale rule is tests/test_enhance_scale.py's.

A fixed-box detector keeps most tests independent of YuNet; tests marked as such use the real detector on
the shipped portraits.
"""

from __future__ import annotations

import functools
import tracemalloc

import numpy as np
import pytest

from conftest import FixedBoxes, tiny_low_to_high, video_frames

from tfsr import faces as fc
from tfsr.enhance import colour
from tfsr.enhance.colour import keep_colour
from tfsr.enhance.enhancer import Enhancer


class Recorder:
    """A backend that upsamples by 4 (nearest) plus a colour shift, and records each call's batch."""

    name = "recorder"

    def __init__(self, shift=(0.0, 0.0, 0.0)):
        self.shift = np.asarray(shift, np.float32)
        self.batches: list[np.ndarray] = []

    def __call__(self, faces):
        faces = np.asarray(faces, np.float32)
        self.batches.append(faces)
        return np.clip(faces.repeat(4, axis=1).repeat(4, axis=2) + self.shift, -1, 1)


@pytest.fixture(scope="module")
def tiny_generator():
    return tiny_low_to_high(seed=1)


#: Today's in-place enhancer: scale 1, every face size.
InPlace = functools.partial(Enhancer, scale=1, min_face=0, max_face=0)


def _picture(h=120, w=160, channels=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, channels)).astype(np.uint8)


BOXES = [(20, 30, 30, 36, 0.9), (100, 10, 24, 24, 0.8), (140, 90, 40, 40, 0.7)]  # the last one crosses the edge


def _outside(image_shape, enhancer, boxes):
    """Mask of the pixels outside every pasted square."""
    keep = np.ones(image_shape[:2], bool)
    for box in boxes:
        x0, y0, side = fc.square_box(box[:4], enhancer.margin, image_shape[:2])
        keep[max(y0, 0) : y0 + side, max(x0, 0) : x0 + side] = False
    return keep


def test_all_faces_go_through_the_generator_in_one_call_and_pixels_outside_stay_exact(tiny_generator) -> None:
    image = _picture()
    rec = Recorder()
    enhancer = InPlace(rec, detector=FixedBoxes(BOXES), colour="off")
    rec.batches.clear()  # the load check's probe
    out, boxes = enhancer.enhance(image)
    assert [b.shape for b in rec.batches] == [(3, 16, 16, 3)]
    assert boxes == BOXES
    keep = _outside(image.shape, enhancer, BOXES)
    np.testing.assert_array_equal(out[keep], image[keep])
    assert (out[~keep] != image[~keep]).any()
    # The same holds for the real generator.
    real = InPlace(tiny_generator, detector=FixedBoxes(BOXES))
    out, _ = real.enhance(image)
    np.testing.assert_array_equal(out[keep], image[keep])
    assert out.shape == image.shape and out.dtype == np.uint8


def test_pasting_into_regions_equals_facecrop_paste_face_on_the_whole_picture(tiny_generator) -> None:
    image = _picture(channels=4)
    enhancer = InPlace(tiny_generator, detector=FixedBoxes(BOXES), colour="lowpass")
    out, faces = enhancer.enhance_faces(image)
    expected = image
    for face in faces:
        expected = fc.paste_face(expected, face.high, *face.square, enhancer.feather)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(out[..., 3], image[..., 3])  # alpha untouched
    for face in faces:  # and the inputs are tfsr.faces'
        np.testing.assert_array_equal(face.low, fc.face_input(image, *face.square))


def test_the_feathered_paste_has_no_seam_and_shows_the_face_in_the_middle() -> None:
    image = np.full((100, 100, 3), 40, np.uint8)
    enhancer = InPlace(Recorder(shift=(2.0, 2.0, 2.0)), detector=FixedBoxes([(30, 30, 40, 40, 1.0)]), colour="off")
    out, faces = enhancer.enhance_faces(image)
    (x0, y0, side) = faces[0].square
    # The outermost ring of the square is weighted 0: identical to the picture around it.
    ring = np.zeros((100, 100), bool)
    ring[y0 : y0 + side, x0 : x0 + side] = True
    ring[y0 + 1 : y0 + side - 1, x0 + 1 : x0 + side - 1] = False
    np.testing.assert_array_equal(out[ring], image[ring])
    # The centre is the super-resolved face (all white here), and the ramp between rises steadily.
    centre = out[y0 + side // 2, x0 + side // 2]
    np.testing.assert_array_equal(centre, [255, 255, 255])
    row = out[y0 + side // 2, x0 : x0 + side // 2, 0].astype(int)
    assert np.all(np.diff(row) >= 0) and row[0] == 40
    # No step between neighbours bigger than a fraction of the full contrast: a smooth blend.
    assert np.abs(np.diff(row)).max() < 0.25 * (255 - 40)


def test_no_faces_returns_the_input_unchanged(tiny_generator) -> None:
    image = _picture()
    out, boxes = InPlace(tiny_generator, detector=FixedBoxes([])).enhance(image)
    assert boxes == []
    np.testing.assert_array_equal(out, image)
    assert out is not image


def test_gray_pictures_stay_gray_and_untouched_outside_the_faces(tiny_generator) -> None:
    gray = _picture()[..., 0]
    enhancer = InPlace(tiny_generator, detector=FixedBoxes(BOXES))
    out, _ = enhancer.enhance(gray)
    assert out.shape == gray.shape and out.dtype == np.uint8
    keep = _outside(gray.shape, enhancer, BOXES)
    np.testing.assert_array_equal(out[keep], gray[keep])
    assert (out[~keep] != gray[~keep]).any()


def test_max_face_leaves_big_faces_alone(tiny_generator) -> None:
    image = _picture()
    enhancer = InPlace(tiny_generator, detector=FixedBoxes(BOXES), max_face=40)
    _, faces = enhancer.enhance_faces(image)
    assert [f.box for f in faces] == [BOXES[1]]  # only the 24-pixel face has a crop under 40 pixels


def _mean_colour_error(out, image, faces):
    """Per face: |mean colour of the output's face (downsampled to 16x16) - mean of the input's|, in pixels."""
    errors = []
    for face in faces:
        got = fc.face_input(out, *face.square).mean(axis=(0, 1))
        want = fc.face_input(image, *face.square).mean(axis=(0, 1))
        errors.append(np.abs(got - want).max() * 127.5)
    return np.asarray(errors)


@pytest.mark.parametrize("mode", ["mean", "lowpass"])
def test_colour_matching_keeps_a_tinting_generators_faces_in_their_colour(mode: str) -> None:
    image = np.random.default_rng(3).integers(60, 200, (120, 160, 3)).astype(np.uint8)
    boxes = BOXES[:2]
    tint = Recorder(shift=(0.3, -0.2, 0.0))
    off, faces = InPlace(tint, detector=FixedBoxes(boxes), colour="off", feather=0.0).enhance_faces(image)
    kept, faces = InPlace(tint, detector=FixedBoxes(boxes), colour=mode, feather=0.0).enhance_faces(image)
    assert _mean_colour_error(off, image, faces).min() > 20  # the tint shows without the option...
    assert _mean_colour_error(kept, image, faces).max() < 1.0  # ...and is gone with it


def test_colour_matching_with_a_random_generator(tiny_generator) -> None:
    image = np.random.default_rng(4).integers(60, 200, (120, 160, 3)).astype(np.uint8)
    enhancer = InPlace(tiny_generator, detector=FixedBoxes(BOXES[:2]), feather=0.0)
    out, faces = enhancer.enhance_faces(image)
    assert _mean_colour_error(out, image, faces).max() < 1.0


def test_keep_colour_lowpass_matches_a_gradient_not_only_the_mean() -> None:
    ramp = np.linspace(-0.8, 0.8, 16, dtype=np.float32)
    low = np.repeat(np.repeat(ramp[None, :, None], 16, axis=0)[None], 3, axis=3)  # left dark, right bright
    high = np.zeros((1, 64, 64, 3), np.float32)
    lowpass = keep_colour(high, low, "lowpass")
    mean = keep_colour(high, low, "mean")
    np.testing.assert_allclose(lowpass.mean(), low.mean(), atol=1e-6)
    np.testing.assert_allclose(mean, np.full_like(high, low.mean()), atol=1e-6)
    assert lowpass[0, :, :8].mean() < -0.5 and lowpass[0, :, -8:].mean() > 0.5
    np.testing.assert_array_equal(keep_colour(high, low, "off"), high)
    with pytest.raises(ValueError, match="colour mode"):
        keep_colour(high, low, "vivid")



@pytest.mark.parametrize("faces", [1, 4])
def test_keep_colours_channel_means_are_numpys_bit_for_bit(faces: int) -> None:
    # float64 values of mixed magnitudes, so that the sums' rounding depends on the order of the additions.
    rng = np.random.default_rng(faces)
    batch = rng.uniform(-1, 1, (faces, 64, 64, 3)) * 10.0 ** rng.integers(-8, 8, (faces, 64, 64, 3))
    np.testing.assert_array_equal(colour._channel_means(batch), batch.mean(axis=(1, 2)))

def test_a_big_photo_costs_one_copy_of_itself() -> None:
    # 6000x8000 RGB is 144 MB; enhancing it must not allocate whole-picture floats or one copy per face.
    image = np.zeros((6000, 8000, 3), np.uint8)
    boxes = [(1000 + 1500 * k, 2000, 300, 300, 0.9) for k in range(4)]
    enhancer = InPlace(Recorder(), detector=FixedBoxes(boxes))
    tracemalloc.start()
    try:
        out, faces = enhancer.enhance_faces(image)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(faces) == 4 and out.shape == image.shape
    assert peak < 1.2 * image.nbytes


def test_yunet_finds_the_face_of_a_large_photo_on_a_downscaled_copy(tiny_generator) -> None:
    import cv2
    import skimage.data

    photo = skimage.data.astronaut()  # 512x512, face near (178, 63, 89, 112)
    big = cv2.resize(photo, (3072, 3072), interpolation=cv2.INTER_CUBIC)
    enhancer = InPlace(tiny_generator, detect_side=512)
    small_boxes = enhancer.detect(photo)
    out, boxes = enhancer.enhance(big)
    assert len(boxes) == len(small_boxes) >= 1
    # The boxes are in the big photo's pixels: six times those found on the original.
    np.testing.assert_allclose(np.asarray(boxes[0][:4]), 6 * np.asarray(small_boxes[0][:4]), atol=12)
    assert (out != big).any()


def test_wrong_arguments_are_refused(tiny_generator) -> None:
    with pytest.raises(ValueError, match="feather"):
        Enhancer(tiny_generator, feather=0.7)
    with pytest.raises(ValueError, match="colour"):
        Enhancer(tiny_generator, colour="sepia")
    with pytest.raises(ValueError, match="uint8"):
        Enhancer(tiny_generator, detector=FixedBoxes([])).enhance(np.zeros((8, 8, 3), np.float32))


def test_tfsr_exports_enhancer_lazily() -> None:
    import tfsr

    assert tfsr.Enhancer is Enhancer
    with pytest.raises(AttributeError):
        tfsr.NoSuchThing  # noqa: B018


def test_demo_images_writes_the_before_after_of_a_photo_with_small_faces(tiny_generator, tmp_path) -> None:
    from tfsr.enhance import demo_images
    from tfsr.enhance.panels import group_photo
    from tfsr.enhance.pictures import read_picture

    written = demo_images(Enhancer(tiny_generator), tmp_path)
    assert [p.name for p in written] == ["group.png", "before_after.png", "faces.png"]
    photo, boxes = group_photo()
    assert len(boxes) == 3
    for box in boxes:  # every face square is 16 pixels, the size the default enhancer serves
        assert fc.square_box(box[:4], fc.FACE_MARGIN, photo.shape[:2])[2] == 16
    np.testing.assert_array_equal(read_picture(tmp_path / "group.png"), photo)
    pair = read_picture(tmp_path / "before_after.png")
    h, w, label = 4 * photo.shape[0], 4 * photo.shape[1], 28
    assert pair.shape == (2 * (label + h) + 4, w, 3)
    top, bottom = pair[label : label + h], pair[2 * label + h + 4 :]
    np.testing.assert_array_equal(top[h // 2 :, : w // 8], fc.upscale(photo, 4)[h // 2 :, : w // 8])  # bicubic
    assert (top != bottom).any()  # the faces differ, outlined in both
    assert read_picture(tmp_path / "faces.png").shape[0] == 3 * 128 + 2 * 4


def _numbered_clip(path, frames: int):
    """A small video whose frame `f` is gray level `20 * f + 30` everywhere (MJPG keeps levels this far apart)."""
    from tfsr.enhance.video import open_writer

    writer = open_writer(path, 10.0, (64, 48))
    for f in range(frames):
        writer.write(np.full((48, 64, 3), 20 * f + 30, np.uint8))
    writer.release()
    return path


def _gray_levels(path) -> list[int]:
    return [int(round(frame[:8, :8].mean())) for frame in video_frames(path)]  # a corner outside the face


def test_a_video_is_written_whole_and_in_order_by_the_background_encoder(tmp_path) -> None:
    from tfsr.enhance.video import enhance_video

    clip = _numbered_clip(tmp_path / "numbered.avi", 8)
    enhancer = InPlace(Recorder(), detector=FixedBoxes([(20, 10, 16, 16, 0.9)]))
    stats = enhance_video(enhancer, clip, tmp_path / "out.avi", every=3, progress=False)
    assert stats.frames == 8 and stats.faces == 8
    levels = _gray_levels(tmp_path / "out.avi")
    assert len(levels) == 8
    assert all(abs(level - (20 * f + 30)) <= 3 for f, level in enumerate(levels)), levels


def test_an_interrupted_video_keeps_every_frame_enhanced_before_the_interruption(tmp_path) -> None:
    from tfsr.enhance.video import enhance_video

    clip = _numbered_clip(tmp_path / "numbered.avi", 8)

    def interrupt_at_frame_5(index, frame):
        if index == 5:
            raise KeyboardInterrupt

    enhancer = InPlace(Recorder(), detector=FixedBoxes([(20, 10, 16, 16, 0.9)]))
    with pytest.raises(KeyboardInterrupt):
        enhance_video(enhancer, clip, tmp_path / "out.avi", progress=False, on_frame=interrupt_at_frame_5)
    levels = _gray_levels(tmp_path / "out.avi")
    assert len(levels) == 5  # frames 0-4; the last of them was still being encoded when frame 5 stopped the loop
    assert all(abs(level - (20 * f + 30)) <= 3 for f, level in enumerate(levels)), levels
