"""FID: the Fréchet distance against closed forms, the statistics, the pinned preprocessing and the cache.

A small feature network built here stands in for Inception-v3 (no weights can be downloaded); it runs
through the same code (quantisation, resize, features, statistics, matrix square root).
"""

from __future__ import annotations

import os

import keras
import numpy as np
import pytest
import scipy.linalg
from PIL import Image

from tfsr.errors import ModelError
from tfsr.evaluation import fid
from tfsr.evaluation.fid import FeatureStatistics, FidProtocol, KerasFeatures, StatisticsCache
from tfsr.evaluation.inception import KERAS_WEIGHTS_FILE, inception_v3

SMALL = FidProtocol(image_size=8)


def _closed_form(mu1, s1, mu2, s2):
    """Fréchet distance through eigenvalues: Tr sqrt(s1 s2) = sum of sqrt of eig(s1 s2) (real, >= 0 for PSD)."""
    eig = np.linalg.eigvals(s1 @ s2).real
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.sum(np.sqrt(np.clip(eig, 0, None))))


def _stats(mu, sigma):
    return FeatureStatistics(np.asarray(mu, float), np.asarray(sigma, float), 100)


def test_frechet_distance_of_diagonal_gaussians_is_the_analytic_value():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    a, b = rng.uniform(0.1, 3, 6), rng.uniform(0.1, 3, 6)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(a + b - 2 * np.sqrt(a * b))
    assert fid.frechet_distance(_stats(mu1, np.diag(a)), _stats(mu2, np.diag(b))) == pytest.approx(expected, rel=1e-9)


def test_frechet_distance_of_rotated_gaussians_matches_the_closed_form():
    # Covariances sharing eigenvectors: sqrt(s1 s2) = Q sqrt(AB) Q^T, so the analytic value is the diagonal one,
    # but sqrtm works on full matrices.
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    a, b = rng.uniform(0.2, 2, 5), rng.uniform(0.2, 2, 5)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    s1, s2 = q @ np.diag(a) @ q.T, q @ np.diag(b) @ q.T
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(a + b - 2 * np.sqrt(a * b))
    assert fid.frechet_distance(_stats(mu1, s1), _stats(mu2, s2)) == pytest.approx(expected, rel=1e-7)
    # General (non-commuting) covariances against the eigenvalue form.
    m1, m2 = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    g1, g2 = m1 @ m1.T + 0.1 * np.eye(5), m2 @ m2.T + 0.1 * np.eye(5)
    assert fid.frechet_distance(_stats(mu1, g1), _stats(mu2, g2)) == pytest.approx(
        _closed_form(mu1, g1, mu2, g2), rel=1e-7
    )


def test_frechet_distance_is_zero_for_equal_and_finite_for_singular_statistics():
    rng = np.random.default_rng(2)
    f = rng.normal(size=(5, 12))  # fewer samples than dimensions: singular covariance
    s = FeatureStatistics.from_features(f)
    assert np.linalg.matrix_rank(s.sigma) < 12
    assert abs(fid.frechet_distance(s, s)) < 1e-4
    other = FeatureStatistics.from_features(rng.normal(size=(5, 12)) + 1.0)
    d = fid.frechet_distance(s, other)
    assert np.isfinite(d)
    assert d == pytest.approx(_closed_form(s.mu, s.sigma, other.mu, other.sigma), abs=1e-3)


def test_frechet_distance_refuses_a_large_imaginary_square_root():
    # A covariance with a negative eigenvalue is not one; its square root is imaginary.
    with pytest.raises(ValueError, match="imaginary"):
        fid.frechet_distance(_stats([0, 0], np.diag([1.0, -1.0])), _stats([0, 0], np.eye(2)))
    with pytest.raises(ValueError, match="differ in size"):
        fid.frechet_distance(_stats([0, 0], np.eye(2)), _stats([0, 0, 0], np.eye(3)))


def test_statistics_are_the_mean_and_unbiased_covariance():
    rng = np.random.default_rng(3)
    f = rng.normal(size=(50, 4)).astype(np.float32)
    s = FeatureStatistics.from_features(f)
    centred = f.astype(np.float64) - f.astype(np.float64).sum(0) / 50
    np.testing.assert_allclose(s.mu, f.astype(np.float64).sum(0) / 50, rtol=1e-12)
    np.testing.assert_allclose(s.sigma, centred.T @ centred / 49, rtol=1e-10)
    assert s.count == 50
    with pytest.raises(ValueError):
        FeatureStatistics.from_features(f[:1])


def _mean_colour_network(size: int) -> KerasFeatures:
    """Features = the mean colour of an image, so constant-colour images have known features."""
    net = keras.Sequential([keras.Input((size, size, 3)), keras.layers.GlobalAveragePooling2D()])
    return KerasFeatures(net, "mean-colour", size)


def _constant_images(colours01: np.ndarray, side: int) -> np.ndarray:
    pixels = np.round(colours01 * 255).astype(np.uint8)
    return np.broadcast_to(pixels[:, None, None, :], (len(colours01), side, side, 3)).copy()


def test_fid_pipeline_on_known_gaussians():
    """Constant-colour images whose colours are Gaussian: FID through the real pipeline (quantise, resize,
    features, statistics, sqrtm) equals the closed form of the quantised colours, and approaches the
    population value."""
    rng = np.random.default_rng(4)
    n = 4000
    mu_a, mu_b = np.array([0.5, 0.4, 0.6]), np.array([0.45, 0.5, 0.55])
    sd_a, sd_b = np.array([0.05, 0.08, 0.04]), np.array([0.07, 0.03, 0.06])
    a = _constant_images(np.clip(rng.normal(mu_a, sd_a, (n, 3)), 0, 1), 5)  # resized 5 -> 8 by the protocol
    b = _constant_images(np.clip(rng.normal(mu_b, sd_b, (n, 3)), 0, 1), 5)
    net = _mean_colour_network(8)
    got = fid.fid(a, b, net, SMALL, batch_size=512)

    fa, fb = a[:, 0, 0].astype(np.float64) / 127.5 - 1, b[:, 0, 0].astype(np.float64) / 127.5 - 1
    expected = _closed_form(fa.mean(0), np.cov(fa, rowvar=False), fb.mean(0), np.cov(fb, rowvar=False))
    assert got == pytest.approx(expected, rel=1e-4)
    # Features live in [-1, 1]: twice the [0, 1] colours, so the population FID is 4x that of the colours.
    population = 4 * (np.sum((mu_a - mu_b) ** 2) + np.sum((sd_a - sd_b) ** 2))
    assert got == pytest.approx(population, rel=0.05)


def test_float_outputs_are_scored_like_the_png_files_they_would_be_saved_as(tmp_path):
    rng = np.random.default_rng(5)
    floats = rng.uniform(-1, 1, (6, 8, 8, 3)).astype(np.float32)
    for i, x in enumerate(floats):
        Image.fromarray(np.round((x + 1) * 127.5).astype(np.uint8)).save(tmp_path / f"{i}.png")
    files = np.stack([np.asarray(Image.open(tmp_path / f"{i}.png")) for i in range(6)])
    net = KerasFeatures(keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Flatten()]), "identity", 8)
    np.testing.assert_array_equal(fid.extract_features(floats, net, SMALL), fid.extract_features(files, net, SMALL))
    with pytest.raises(ValueError, match="resizes to 299px"):
        fid.extract_features(files, net)


def _write(folder, arrays):
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, x in enumerate(arrays):
        paths.append(folder / f"{i:03d}.png")
        Image.fromarray(x).save(paths[-1])
    return paths


def test_statistics_key_follows_files_protocol_and_network_not_location(tmp_path):
    rng = np.random.default_rng(6)
    images = rng.integers(0, 256, (3, 8, 8, 3), dtype=np.uint8)
    paths = _write(tmp_path / "a", images)
    key = fid.statistics_key(paths, tmp_path / "a", SMALL, "net")
    moved = _write(tmp_path / "b", images)
    assert fid.statistics_key(moved, tmp_path / "b", SMALL, "net") == key
    assert fid.statistics_key(paths, tmp_path / "a", FidProtocol(image_size=9), "net") != key
    assert fid.statistics_key(paths, tmp_path / "a", SMALL, "other-net") != key
    assert fid.statistics_key(paths[:2], tmp_path / "a", SMALL, "net") != key
    images[1, 0, 0, 0] ^= 1
    Image.fromarray(images[1]).save(paths[1])
    assert fid.statistics_key(paths, tmp_path / "a", SMALL, "net") != key


def test_statistics_cache_reuses_and_repairs(tmp_path):
    calls = []
    stats = FeatureStatistics(np.arange(3.0), np.eye(3), 7)

    def compute():
        calls.append(1)
        return stats

    cache = StatisticsCache(tmp_path / "cache")
    first = cache.get_or_compute("k", compute)
    second = cache.get_or_compute("k", compute)
    assert len(calls) == 1
    np.testing.assert_array_equal(second.mu, first.mu)
    np.testing.assert_array_equal(second.sigma, first.sigma)
    assert second.count == 7
    (tmp_path / "cache" / "k.npz").write_bytes(b"not a zip")
    cache.get_or_compute("k", compute)
    assert len(calls) == 2
    StatisticsCache(None).get_or_compute("k", compute)
    assert len(calls) == 3


def test_inception_weights_unavailable_offline_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    with pytest.raises(ModelError, match=KERAS_WEIGHTS_FILE):
        inception_v3(None, allow_download=False)
    with pytest.raises(ModelError, match="no such Inception-v3 weights file"):
        inception_v3(tmp_path / "missing.h5")
    wrong = tmp_path / "tiny.weights.h5"
    tiny = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    tiny.save_weights(str(wrong))
    with pytest.raises(ModelError, match="not Inception-v3"):
        inception_v3(wrong)
    assert os.listdir(tmp_path) == ["tiny.weights.h5"]  # nothing was downloaded


def test_inception_weights_file_is_loaded_into_the_fid_network(tmp_path):
    keras.utils.set_random_seed(7)
    saved = keras.applications.InceptionV3(include_top=False, weights=None, input_shape=(299, 299, 3), pooling="avg")
    weights = tmp_path / "inception.weights.h5"
    saved.save_weights(str(weights))
    keras.utils.set_random_seed(8)  # the loader's fresh network starts from other random weights
    extractor = inception_v3(weights)
    assert extractor.name.startswith("inception_v3:md5-") and extractor.image_size == 299
    images = np.random.default_rng(9).uniform(-1, 1, (2, 299, 299, 3)).astype(np.float32)
    features = extractor(images)
    assert features.shape == (2, 2048)
    np.testing.assert_allclose(features, np.asarray(saved(images, training=False)), rtol=1e-4, atol=1e-5)
