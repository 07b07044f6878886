"""The scale rule of `Enhancer`: the output is the input enlarged S times by the background resampler, and
each face the model serves is pasted at S times its square. Exact geometry, the background bit for bit,
tiles equal to the whole, the memory budget, faces at the border and crowds of faces."""

from __future__ import annotations

import tracemalloc

import cv2
import numpy as np
import pytest

from conftest import FixedBoxes

from tfsr import faces
from tfsr.enhance.enhancer import DEFAULT_MAX_FACE, DEFAULT_MIN_FACE, MODEL_SCALE, Enhancer
from tfsr.errors import DataError


class Bright:
    """A backend whose every face is white (nearest x4 of the input plus 2, clipped), recording its batches."""

    name = "bright"

    def __init__(self):
        self.batches: list[int] = []

    def __call__(self, low):
        low = np.asarray(low, np.float32)
        self.batches.append(len(low))
        return np.clip(low.repeat(4, axis=1).repeat(4, axis=2) + 2.0, -1, 1)


# Square sides (margin 0.25): 45, 30, 50; the last crosses the right and bottom edges.
BOXES = [(20, 30, 30, 36, 0.9), (100, 10, 24, 24, 0.8), (140, 90, 40, 40, 0.7)]


def _picture(h=120, w=160, channels=3, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, channels)).astype(np.uint8)


def _every_face(scale, boxes=BOXES, **kw):
    return Enhancer(Bright(), detector=FixedBoxes(boxes), scale=scale, min_face=0, max_face=0, colour="off", **kw)


def _away_from(shape, squares):
    keep = np.ones(shape[:2], bool)
    for x0, y0, side in squares:
        keep[max(y0, 0) : max(y0 + side, 0), max(x0, 0) : max(x0 + side, 0)] = False
    return keep


@pytest.mark.parametrize("scale", [1, 2, 3, 4])
def test_a_faces_square_in_the_output_is_scale_times_its_square_in_the_input(scale) -> None:
    image = _picture()
    out, found = _every_face(scale).enhance_faces(image)
    assert out.shape == (120 * scale, 160 * scale, 3) and out.dtype == np.uint8
    for face, box in zip(found, BOXES):
        x0, y0, side = faces.square_box(box[:4], faces.FACE_MARGIN, image.shape[:2])
        assert face.square == (x0, y0, side)
        assert face.scaled == (scale * x0, scale * y0, scale * side)
    # The pasted faces are white in the middle and the exact square's outermost ring is the background's:
    # the face occupies exactly the scaled square.
    background = faces.upscale(image, scale)
    for face in found[:2]:  # the two faces inside the picture
        x0, y0, side = face.scaled
        assert (out[y0 + side // 2, x0 + side // 2] == 255).all()
        ring = np.zeros(out.shape[:2], bool)
        ring[y0 : y0 + side, x0 : x0 + side] = True
        ring[y0 + 1 : y0 + side - 1, x0 + 1 : x0 + side - 1] = False
        np.testing.assert_array_equal(out[ring], background[ring])
        inside = (slice(y0 + side // 3, y0 + 2 * side // 3), slice(x0 + side // 3, x0 + 2 * side // 3))
        assert (out[inside] != background[inside]).all(axis=-1).mean() > 0.9


@pytest.mark.parametrize(("scale", "channels"), [(2, 3), (4, 3), (3, 4)])
def test_the_background_is_the_bicubic_enlargement_bit_for_bit_away_from_faces(scale, channels) -> None:
    image = _picture(channels=channels, seed=scale)
    enhancer = _every_face(scale)
    out, found = enhancer.enhance_faces(image)
    assert faces.BACKGROUND_RESAMPLER == "bicubic"
    bicubic = cv2.resize(image, (160 * scale, 120 * scale), interpolation=cv2.INTER_CUBIC)
    keep = _away_from(out.shape, [f.scaled for f in found])
    assert keep.mean() > 0.5
    np.testing.assert_array_equal(out[keep], bicubic[keep])
    if channels == 4:
        np.testing.assert_array_equal(out[..., 3], bicubic[..., 3])  # alpha: enlarged, never pasted over
    # Inside each square: the face pasted by tfsr.faces onto the enlargement, nothing else.
    expected = bicubic.copy()
    for face in found:
        faces.paste_face(expected, face.high, *face.scaled, enhancer.feather, in_place=True)
    np.testing.assert_array_equal(out, expected)


def test_gray_stays_gray_and_its_background_is_the_bicubic_enlargement() -> None:
    gray = _picture()[..., 0]
    out, found = _every_face(2).enhance_faces(gray)
    assert out.shape == (240, 320) and len(found) == 3
    keep = _away_from(out.shape, [f.scaled for f in found])
    np.testing.assert_array_equal(out[keep], cv2.resize(gray, (320, 240), interpolation=cv2.INTER_CUBIC)[keep])
    none, _ = Enhancer(Bright(), detector=FixedBoxes([]), scale=3).enhance_faces(gray)
    np.testing.assert_array_equal(none, cv2.resize(gray, (480, 360), interpolation=cv2.INTER_CUBIC))


@pytest.mark.parametrize(("scale", "tile"), [(4, 100), (3, 77), (1, 50)])
def test_tiles_are_the_whole_output_bit_for_bit(scale, tile) -> None:
    image = _picture(channels=4, seed=7)
    enhancer = _every_face(scale)
    whole, found = enhancer.enhance_faces(image)
    tiled_faces, windows = enhancer.enhance_tiles(image, tile)
    assert [f.scaled for f in tiled_faces] == [f.scaled for f in found]
    rebuilt = np.zeros_like(whole)
    count = 0
    for (top, left, bottom, right), pixels in windows:
        assert pixels.shape[:2] == (bottom - top, right - left) and max(pixels.shape[:2]) <= tile
        rebuilt[top:bottom, left:right] = pixels
        count += 1
    assert count == -(-whole.shape[0] // tile) * -(-whole.shape[1] // tile)
    np.testing.assert_array_equal(rebuilt, whole)


def test_a_4000x3000_photo_at_scale_4_is_refused_before_any_work_with_its_size_and_how_to_tile() -> None:
    photo = np.zeros((3000, 4000, 3), np.uint8)
    backend = Bright()
    enhancer = Enhancer(backend, detector=FixedBoxes([(100, 100, 12, 12, 0.9)]), scale=4)
    tracemalloc.start()
    try:
        with pytest.raises(DataError) as refused:
            enhancer.enhance_faces(photo)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(refused.value)
    assert "4000x3000 picture at --scale 4" in message and "16000x12000 output (576 MB)" in message
    assert "512 MB budget" in message and "--tile 4096" in message
    assert backend.batches == [1] and peak < 1_000_000  # only the load check ran; nothing was allocated


def test_tiles_keep_memory_to_one_window() -> None:
    # 1000x750 at x4 is a 4000x3000 output (36 MB): over a 10 MB budget whole, but not in 512-pixel tiles.
    photo = np.random.default_rng(0).integers(0, 256, (750, 1000, 3)).astype(np.uint8)
    enhancer = Enhancer(Bright(), detector=FixedBoxes([(500, 300, 13, 13, 0.9)]), scale=4, max_output_mb=10)
    with pytest.raises(DataError, match="--tile 1792"):
        enhancer.enhance_faces(photo)
    tracemalloc.start()
    try:
        found, windows = enhancer.enhance_tiles(photo, 512)
        rows = sum(1 for _ in windows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(found) == 1 and rows == 8 * 6
    assert peak < 6_000_000  # a 512x512 window is 0.8 MB; the whole output would be 36 MB


def test_faces_at_the_border_are_pasted_clipped() -> None:
    image = _picture(seed=2)
    corners = [(-10, -8, 30, 30, 0.9), (150, 110, 30, 30, 0.9), (-50, 40, 60, 60, 0.9)]
    out, found = _every_face(4, corners).enhance_faces(image)
    assert len(found) == 3 and out.shape == (480, 640, 3)
    assert (out[2, 2] > 200).all() and (out[-3, -3] > 200).all()  # both corners hold a (white) face
    keep = _away_from(out.shape, [f.scaled for f in found])
    np.testing.assert_array_equal(out[keep], faces.upscale(image, 4)[keep])


def test_fifty_faces_go_through_the_generator_in_bounded_batches() -> None:
    image = _picture(240, 400, seed=5)
    crowd = [(8 + 39 * (k % 10), 8 + 46 * (k // 10), 13, 13, 0.9) for k in range(50)]
    backend = Bright()
    enhancer = Enhancer(backend, detector=FixedBoxes(crowd), scale=2)
    backend.batches.clear()
    out, found = enhancer.enhance_faces(image)
    assert len(found) == 50 and backend.batches == [32, 18]
    assert out.shape == (480, 800, 3)


@pytest.mark.parametrize("scale", [0, -2, 2.5, True, "4", None])
def test_a_scale_that_is_not_a_positive_integer_is_refused(scale) -> None:
    with pytest.raises(DataError, match="positive integer"):
        Enhancer(Bright(), detector=FixedBoxes([]), scale=scale)


def test_by_default_only_the_measured_face_sizes_are_super_resolved_and_the_rest_resampled() -> None:
    assert MODEL_SCALE == 4 and (DEFAULT_MIN_FACE, DEFAULT_MAX_FACE) == (16, 16)
    image = _picture(160, 200, seed=9)
    # Boxes whose squares are 11, 16 and 25 pixels.
    boxes = [(10, 10, 9, 9, 0.9), (60, 60, 13, 13, 0.9), (130, 100, 20, 20, 0.9)]
    sides = [faces.square_box(b[:4], faces.FACE_MARGIN, image.shape[:2])[2] for b in boxes]
    assert sides == [11, 16, 25]
    out, found = Enhancer(Bright(), detector=FixedBoxes(boxes)).enhance_faces(image)
    assert [f.square[2] for f in found] == [16] and out.shape == (640, 800, 3)
    keep = _away_from(out.shape, [f.scaled for f in found])
    np.testing.assert_array_equal(out[keep], faces.upscale(image, 4)[keep])  # the other two: bicubic
    _, every = Enhancer(Bright(), detector=FixedBoxes(boxes), min_face=0, max_face=0).enhance_faces(image)
    _, small = Enhancer(Bright(), detector=FixedBoxes(boxes), min_face=0, max_face=16).enhance_faces(image)
    assert [f.square[2] for f in every] == [11, 16, 25] and [f.square[2] for f in small] == [11, 16]
