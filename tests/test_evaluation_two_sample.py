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


def test_uint8_inputs_and_bad_sets():
    a = (np.random.default_rng(4).uniform(0, 255, (8, 16, 16, 3))).astype(np.uint8)
    assert 0.0 <= classifier_two_sample_test(a, a[::-1], epochs=1).accuracy <= 1.0
    with pytest.raises(ValueError, match="shapes differ"):
        classifier_two_sample_test(a, a[:, :8, :8])
    with pytest.raises(ValueError, match="at least 4"):
        classifier_two_sample_test(a[:3], a)
