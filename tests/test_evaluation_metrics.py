"""PSNR, SSIM and the bilinear protocol against closed forms and an independent SSIM implementation."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.metrics import structural_similarity

from tfsr.evaluation import metrics


def _pair(seed=0, shape=(3, 32, 32, 3), spread=30):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, shape, dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-spread, spread + 1, shape), 0, 255).astype(np.uint8)
    return a, b


def test_psnr_of_a_constant_offset_is_the_closed_form():
    a = np.full((2, 16, 16, 3), 100, np.uint8)
    b = a + np.uint8(5)
    assert metrics.psnr(b, a, "rgb") == pytest.approx(10 * np.log10(255**2 / 25))
    # The same offset on R, G and B moves Y by 5 * (65.481 + 128.553 + 24.966) / 255.
    dy = 5 * 219.0 / 255
    assert metrics.psnr(b, a, "y") == pytest.approx(10 * np.log10(255**2 / dy**2))
    assert np.all(np.isinf(metrics.psnr_per_image(a, a)))


def test_luma_is_bt601_studio_range():
    black, white = np.zeros((1, 1, 3), np.uint8), np.full((1, 1, 3), 255, np.uint8)
    assert metrics.rgb_to_y(black)[0, 0] == pytest.approx(16.0)
    assert metrics.rgb_to_y(white)[0, 0] == pytest.approx(235.0)
    red = np.array([[[255, 0, 0]]], np.uint8)
    assert metrics.rgb_to_y(red)[0, 0] == pytest.approx(16 + 65.481)


def test_ssim_matches_an_independent_implementation():
    a, b = _pair()
    kwargs = dict(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)
    rgb = [structural_similarity(a[i], b[i], channel_axis=-1, **kwargs) for i in range(3)]
    y = [structural_similarity(metrics.rgb_to_y(a[i]), metrics.rgb_to_y(b[i]), **kwargs) for i in range(3)]
    np.testing.assert_allclose(metrics.ssim_per_image(a, b, "rgb"), rgb, rtol=1e-9)
    np.testing.assert_allclose(metrics.ssim_per_image(a, b, "y"), y, rtol=1e-9)
    assert metrics.ssim(a, a) == pytest.approx(1.0)
    assert metrics.ssim(a, b) < 1.0


def test_float_images_are_quantised_like_saved_files():
    a, b = _pair(seed=1)
    fa, fb = a.astype(np.float32) / 127.5 - 1, b.astype(np.float32) / 127.5 - 1
    assert metrics.psnr(fa, fb) == pytest.approx(metrics.psnr(a, b))
    assert metrics.ssim(fa, fb, "y") == pytest.approx(metrics.ssim(a, b, "y"))
    q = metrics.quality(fa, b)
    assert set(q) == {"psnr_rgb", "psnr_y", "ssim_rgb", "ssim_y"}
    assert q["psnr_rgb"] == pytest.approx(metrics.psnr(a, b))


def test_mismatched_or_tiny_images_are_refused():
    a, b = _pair()
    with pytest.raises(ValueError, match="differ in shape"):
        metrics.psnr(a, b[:, :16])
    with pytest.raises(ValueError, match="at least 11x11"):
        metrics.ssim(a[:, :8, :8], b[:, :8, :8])
    with pytest.raises(ValueError, match="channel"):
        metrics.psnr(a, b, "lab")


def test_bilinear_inputs_sample_pixel_centres_without_antialiasing():
    # Half-pixel bilinear x1/4 samples source coordinate 4i + 1.5: the mean of rows 4i+1, 4i+2 and
    # columns 4j+1, 4j+2.
    rng = np.random.default_rng(2)
    hr = rng.integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    lr = metrics.bilinear_inputs(hr)
    assert lr.shape == (2, 16, 16, 3)
    x = hr.astype(np.float64) / 127.5 - 1
    expected = 0.25 * (x[:, 1::4, 1::4] + x[:, 2::4, 1::4] + x[:, 1::4, 2::4] + x[:, 2::4, 2::4])
    np.testing.assert_allclose(lr, expected, atol=1e-5)
