"""The face arithmetic of tfsr.faces and the pixel convention of tfsr.pixels, checked against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tfsr import faces as fc
from tfsr.pixels import to_uint8, to_unit


def test_rgba_to_rgb_float_drops_alpha_and_scales() -> None:
    rgba = np.array([[[0, 255, 51, 7], [255, 0, 204, 9]]], np.uint8)
    out = fc.rgba_to_rgb_float(rgba)
    assert out.dtype == np.float32 and out.shape == (1, 2, 3)
    np.testing.assert_allclose(out[0, 0], [-1.0, 1.0, 51 / 127.5 - 1], atol=1e-7)
    np.testing.assert_allclose(out[0, 1], [1.0, -1.0, 204 / 127.5 - 1], atol=1e-7)
    np.testing.assert_array_equal(fc.rgba_to_rgb_float(rgba[..., :3]), out)


def test_to_pixels_rounds_half_up_clips_and_inverts_the_input_scaling() -> None:
    values = np.array([-1.0, 1.0, 0.0, -2.0, 3.0, np.nan, 0.5 / 127.5 - 1], np.float32)
    # 0 -> 127.5 -> 128 (half up); 0.5/127.5-1 -> 0.5 -> 1; NaN -> 0.
    np.testing.assert_array_equal(to_uint8(values), [0, 255, 128, 0, 255, 0, 1])
    every = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)
    np.testing.assert_array_equal(to_uint8(fc.rgba_to_rgb_float(every)), every)


@pytest.mark.parametrize(
    ("box", "margin", "image_hw", "expected"),
    [
        # side 40 * 1.5 = 60; centre (25, 40); x0 = floor(25 - 30 + 0.5) = -5, y0 = floor(10.5) = 10.
        ((10, 20, 30, 40), 0.5, (100, 100), (-5, 10, 60)),
        # side 5 * 1.5 = 7.5 rounds half up to 8; centre (2.5, 2.5); x0 = floor(2.5 - 4 + 0.5) = -1.
        ((0, 0, 5, 5), 0.5, (100, 100), (-1, -1, 8)),
        # odd side 3 around centre 1.5: floor(1.5 - 1.5 + 0.5) = 0.
        ((0, 0, 3, 3), 0.0, (100, 100), (0, 0, 3)),
        # side 4.4 rounds to 4; cy = 1.5 -> floor(1.5 - 2 + 0.5) = 0 (tie goes down/right).
        ((0, 0, 4, 3), 0.1, (100, 100), (0, 0, 4)),
        # side capped at the image's larger dimension (20), centred on (15, 15).
        ((0, 0, 30, 30), 0.0, (10, 20), (5, 5, 20)),
    ],
)
def test_square_box_follows_the_documented_rounding(box, margin, image_hw, expected) -> None:
    assert fc.square_box(box, margin, image_hw) == expected


@pytest.mark.parametrize("box", [(0, 0, 0, 5), (0, 0, 5, -1), (np.nan, 0, 5, 5)])
def test_square_box_rejects_degenerate_boxes(box) -> None:
    with pytest.raises(ValueError, match="face box"):
        fc.square_box(box, 0.2, (10, 10))


def test_crop_square_replicates_the_edges() -> None:
    image = np.arange(6, dtype=np.uint8).reshape(2, 3, 1)  # [[0 1 2] [3 4 5]]
    crop = fc.crop_square(image, -1, -1, 4)[..., 0]
    np.testing.assert_array_equal(crop, [[0, 0, 1, 2], [0, 0, 1, 2], [3, 3, 4, 5], [3, 3, 4, 5]])
    far = fc.crop_square(image, 5, 7, 2)[..., 0]
    np.testing.assert_array_equal(far, [[5, 5], [5, 5]])
    assert fc.crop_square(image, 0, 0, 2).dtype == np.uint8



@pytest.mark.parametrize(("x0", "y0", "side"), [(3, 2, 5), (-2, 4, 7), (6, -3, 9), (-4, -4, 20), (30, 30, 3)])
@pytest.mark.parametrize("channels", [3, 4])
def test_crop_square_is_the_clipped_index_definition_and_a_new_array(x0, y0, side, channels) -> None:
    image = np.random.default_rng(7).integers(0, 256, (10, 12, channels), dtype=np.uint8)
    rows = np.clip(np.arange(y0, y0 + side), 0, 9)
    cols = np.clip(np.arange(x0, x0 + side), 0, 11)
    crop = fc.crop_square(image, x0, y0, side)
    np.testing.assert_array_equal(crop, image[rows[:, None], cols[None, :]])
    assert not np.may_share_memory(crop, image)
    # face_input reads the square without copying it, and gets the same pixels.
    np.testing.assert_array_equal(
        fc.face_input(image, x0, y0, side), fc.area_resize(fc.rgba_to_rgb_float(crop), 16, 16)
    )


def test_weights_are_computed_once_per_size_and_shared_read_only() -> None:
    for weights in (fc.area_weights, fc.bilinear_weights):
        first = weights(37, 16)
        assert weights(37, 16) is first and not first.flags.writeable
        with pytest.raises(ValueError):
            first[0, 0] = 1.0
        np.testing.assert_allclose(first.sum(axis=1), 1.0, atol=1e-12)

def test_area_resize_integer_ratio_is_the_block_mean() -> None:
    img = np.arange(16, dtype=np.float32).reshape(4, 4, 1)
    out = fc.area_resize(img, 2, 2)[..., 0]
    np.testing.assert_allclose(out, [[2.5, 4.5], [10.5, 12.5]], atol=1e-6)


def test_area_resize_fractional_ratio_weighs_by_coverage() -> None:
    # 3 -> 2: output 0 covers [0, 1.5) = 2/3 of pixel 0 and 1/3 of pixel 1 (and symmetrically).
    # Rows: [0 1 2]*2/3 + [3 4 5]/3 = [1 2 3]; [3 4 5]/3 + [6 7 8]*2/3 = [5 6 7].
    # Columns of those: [4/3, 8/3] and [16/3, 20/3].
    img = np.arange(9, dtype=np.float32).reshape(3, 3, 1)
    out = fc.area_resize(img, 2, 2)[..., 0]
    np.testing.assert_allclose(out, [[4 / 3, 8 / 3], [16 / 3, 20 / 3]], atol=1e-6)


def test_area_resize_keeps_constants_and_the_mean_for_any_ratio() -> None:
    rng = np.random.default_rng(0)
    img = rng.uniform(-1, 1, (37, 29, 3)).astype(np.float32)
    out = fc.area_resize(img, 16, 16)
    assert out.dtype == np.float32 and out.shape == (16, 16, 3)
    np.testing.assert_allclose(out.mean(axis=(0, 1)), img.mean(axis=(0, 1)), atol=1e-5)
    flat = np.full((37, 29, 3), 0.3, np.float32)
    np.testing.assert_allclose(fc.area_resize(flat, 16, 16), 0.3, atol=1e-6)


def test_area_resize_upscaling_repeats_and_mixes_straddled_pixels() -> None:
    img = np.array([[[2.0], [6.0]]], np.float32)  # 1x2
    np.testing.assert_allclose(fc.area_resize(img, 1, 4)[0, :, 0], [2, 2, 6, 6])
    # 2 -> 3: the middle output covers [2/3, 4/3), half in each pixel.
    np.testing.assert_allclose(fc.area_resize(img, 1, 3)[0, :, 0], [2, 4, 6], atol=1e-6)


def test_resize_bilinear_uses_half_pixel_centres() -> None:
    img = np.array([[[0.0], [4.0]]], np.float32)
    # sources -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
    np.testing.assert_allclose(fc.resize_bilinear(img, 1, 4)[0, :, 0], [0, 1, 3, 4], atol=1e-6)


def test_resize_to_side_shrinks_by_area_and_grows_bilinearly() -> None:
    rng = np.random.default_rng(1)
    face = rng.uniform(-1, 1, (64, 64, 3)).astype(np.float32)
    np.testing.assert_array_equal(fc.resize_to_side(face, 64), face)
    blocks = face.reshape(32, 2, 32, 2, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(fc.resize_to_side(face, 32), blocks, atol=1e-6)
    np.testing.assert_array_equal(fc.resize_to_side(face, 100), fc.resize_bilinear(face, 100, 100))


def test_feather_mask_hand_values_and_shape() -> None:
    # side 8, feather 0.25: ramp 2 px; distances to the border 0 1 2 3 3 2 1 0 -> 0, 0.5, 1, 1, ...
    mask = fc.feather_mask(8, 0.25)
    profile = np.array([0, 0.5, 1, 1, 1, 1, 0.5, 0])
    np.testing.assert_allclose(mask, np.outer(profile, profile), atol=1e-7)


def test_feather_mask_properties() -> None:
    mask = fc.feather_mask(41, 0.2)
    assert mask.dtype == np.float32 and mask.shape == (41, 41)
    assert mask.min() >= 0 and mask.max() <= 1
    assert np.all(mask[0] == 0) and np.all(mask[:, -1] == 0)
    assert mask[20, 20] == 1
    np.testing.assert_array_equal(mask, mask.T)
    np.testing.assert_array_equal(mask, mask[::-1, ::-1])
    assert np.all(np.diff(mask[20, :21]) >= 0)
    np.testing.assert_array_equal(fc.feather_mask(5, 0.0), np.ones((5, 5), np.float32))
    with pytest.raises(ValueError, match="feather"):
        fc.feather_mask(5, 0.6)


def test_paste_leaves_outside_pixels_bit_exact_and_clips_to_the_image() -> None:
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (30, 40, 4), dtype=np.uint8)
    face = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    mask = fc.feather_mask(16, 0.25)
    out = fc.paste(image, face, -5, 20, mask)  # hangs off the left and bottom edges
    assert out.shape == image.shape and out.dtype == np.uint8
    untouched = np.ones(image.shape[:2], bool)
    untouched[20:30, 0:11] = False
    np.testing.assert_array_equal(out[untouched], image[untouched])
    inside = np.zeros((16, 16), bool)
    inside[:10, 5:] = True
    zero = inside & (mask == 0)
    np.testing.assert_array_equal(out[20:30, 0:11][zero[:10, 5:]], image[20:30, 0:11][zero[:10, 5:]])
    one = mask[:10, 5:] == 1
    np.testing.assert_array_equal(out[20:30, 0:11, :3][one], face[:10, 5:][one])
    np.testing.assert_array_equal(out[..., 3], image[..., 3])
    np.testing.assert_array_equal(fc.paste(image, face, 50, 50, mask), image)


def test_paste_blends_and_rounds_half_up() -> None:
    image = np.full((2, 2, 3), 100, np.uint8)
    face = np.full((2, 2, 3), 201, np.uint8)
    out = fc.paste(image, face, 0, 0, np.full((2, 2), 0.5, np.float32))
    np.testing.assert_array_equal(out, 151)  # 150.5 rounds up
    float_face = np.full((2, 2, 3), 1.0, np.float32)  # -> 255 before blending
    out = fc.paste(image, float_face, 0, 0, np.full((2, 2), 0.5, np.float32))
    np.testing.assert_array_equal(out, 178)  # 100 + 0.5 * 155 = 177.5 -> 178



@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64])
def test_paste_in_place_writes_the_same_pixels_into_the_image_itself(dtype) -> None:
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (30, 40, 4), dtype=np.uint8)
    face = rng.integers(0, 256, (16, 16, 3)).astype(dtype)
    if dtype != np.uint8:
        face = (face / 127.5 - 1).astype(dtype)
    mask = rng.uniform(0, 1, (16, 16))  # float64: rounded to float32 like the copy's
    for x0, y0 in [(5, 4), (-6, 20), (30, -9), (50, 50)]:
        expected = fc.paste(image, face, x0, y0, mask)
        target = image.copy()
        assert fc.paste(target, face, x0, y0, mask, in_place=True) is target
        np.testing.assert_array_equal(target, expected)


@pytest.mark.parametrize(("side", "feather"), [(1, 0.15), (23, 0.0), (64, 0.15), (100, 0.5), (530, 0.2)])
def test_paste_face_is_paste_of_the_resized_face_with_the_feather_mask(side, feather) -> None:
    rng = np.random.default_rng(side)
    image = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    enhanced = rng.uniform(-1.1, 1.1, (64, 64, 3)).astype(np.float32)
    for x0, y0 in [(10, 5), (-side // 2, 60)]:
        expected = fc.paste(image, fc.resize_to_side(enhanced, side), x0, y0, fc.feather_mask(side, feather))
        np.testing.assert_array_equal(fc.paste_face(image, enhanced, x0, y0, side, feather), expected)
        target = image.copy()
        fc.paste_face(target, enhanced, x0, y0, side, feather, in_place=True)
        np.testing.assert_array_equal(target, expected)

def test_paste_face_keeps_the_faces_mean_colour() -> None:
    image = np.zeros((120, 100, 3), np.uint8)
    colour = np.array([0.2, -0.4, 0.6], np.float32)
    enhanced = np.broadcast_to(colour, (64, 64, 3)).copy()
    out = fc.paste_face(image, enhanced, 10, 20, 80, feather=0.0)
    np.testing.assert_array_equal(out[20:100, 10:90].mean(axis=(0, 1)), to_uint8(colour))
    assert out[:20].max() == 0 and out[100:].max() == 0 and out[:, :10].max() == 0


def test_face_input_of_a_real_face_keeps_its_mean_colour() -> None:
    from skimage import data

    image = data.astronaut()  # her face is near (170..270, 40..160)
    x0, y0, side = fc.square_box((170, 40, 100, 120), 0.2, image.shape[:2])
    lr = fc.face_input(image, x0, y0, side)
    assert lr.shape == (16, 16, 3) and lr.dtype == np.float32
    assert lr.min() >= -1 and lr.max() <= 1
    crop = fc.rgba_to_rgb_float(fc.crop_square(image, x0, y0, side))
    np.testing.assert_allclose(lr.mean(axis=(0, 1)), crop.mean(axis=(0, 1)), atol=1e-4)
