"""The classifier two-sample test separates different image sets and not identical ones."""

from __future__ import annotations

import numpy as np
import pytest

from tfsr.evaluation.two_sample import classifier_two_sample_test


def _noise(seed: int, sigma: float, n: int = 160) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(rng.normal(0.0, sigma, (n, 16, 16, 3)), -1, 1).astype(np.float32)


def test_sets_from_one_distribution_are_near_chance():
    result = classifier_two_sample_test(_noise(0, 0.3), _noise(1, 0.3), seed=0, epochs=10)
    assert 0.3 <= result.accuracy <= 0.7
    assert result.test_images == 160
    assert result.stderr == pytest.approx(np.sqrt(result.accuracy * (1 - result.accuracy) / 160))


def test_sets_with_different_noise_are_told_apart():
    # Faint noise against strong noise: a real degradation difference, seen on held-out images.
    result = classifier_two_sample_test(_noise(2, 0.05), _noise(3, 0.4), seed=0, epochs=10)
    assert result.accuracy > 0.9


def _as_uint8(images: np.ndarray) -> np.ndarray:
    return np.round((images + 1.0) * 127.5).astype(np.uint8)


def test_uint8_inputs_are_read_as_the_same_images_in_float():
    # uint8 faces against float faces of the same distribution: near chance only if uint8 is mapped to
    # [-1, 1] like the float ones; read as 0..255 or 0..1 they would be told apart at once.
    same = classifier_two_sample_test(_noise(0, 0.3), _as_uint8(_noise(1, 0.3)), seed=0, epochs=10)
    assert abs(same.accuracy - 0.5) <= 3 * same.stderr, f"{same.accuracy} +- {same.stderr}"
    # ... while a real difference, given in uint8, is still seen.
    different = classifier_two_sample_test(_as_uint8(_noise(2, 0.05)), _noise(3, 0.4), seed=0, epochs=10)
    assert different.accuracy > 0.9, different.accuracy


def test_bad_sets():
    a = (np.random.default_rng(4).uniform(0, 255, (8, 16, 16, 3))).astype(np.uint8)
    with pytest.raises(ValueError, match="shapes differ"):
        classifier_two_sample_test(a, a[:, :8, :8])
    with pytest.raises(ValueError, match="at least 4"):
        classifier_two_sample_test(a[:3], a)
