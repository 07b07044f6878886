"""Fréchet Inception Distance with one pinned protocol, so that numbers are comparable across runs.

The protocol (`FidProtocol`, written into every result and into every cache key):

1. Images are `uint8` RGB. Network outputs in [-1, 1] are first quantised exactly as saving them to PNG
   would (`tfsr.pixels.to_uint8`: `(x + 1) * 127.5` rounded half up, clipped to [0, 255]). So a set scored
   from files and the same set scored from memory give the same number.
2. Each image goes to [-1, 1] (`tfsr.pixels.to_unit`, which is also Inception-v3's own preprocessing) and is
   resized to 299x299 with `tf.image.resize(method="bilinear", antialias=False)` (half-pixel centres).
   16x16 and 64x64 faces are both upsampled, so anti-aliasing plays no part.
3. Features: the 2048-d global-average-pooled output of `keras.applications.InceptionV3(include_top=False,
   pooling="avg")` with Keras' ImageNet weights (or a weights file given by path), in float32.
4. Statistics in float64: `mu` the mean, `sigma` the unbiased covariance (`np.cov`, N - 1).
5. Distance: `|mu1 - mu2|^2 + Tr(s1 + s2 - 2 sqrtm(s1 s2))` with `scipy.linalg.sqrtm`. When the square
   root is not finite or its relative error exceeds 1e-4 (near-singular covariances, e.g. fewer images
   than dimensions), it is recomputed as `sqrtm((s1 + eps I)(s2 + eps I))` with eps = 1e-6. An imaginary
   part of the result's diagonal above 1e-3 is an error; a smaller one is numerical noise and dropped.

The feature extractor is pluggable (`FeatureExtractor`): tests and experiments can pass any Keras model
that maps 299x299 (or other sized) images in [-1, 1] to vectors; everything else stays the same.

Example:
    >>> extractor = inception_v3(weights="inception_v3_notop.h5")  # doctest: +SKIP
    >>> a = image_statistics(sr_faces, extractor)  # doctest: +SKIP
    >>> b = image_statistics(hr_faces, extractor)  # doctest: +SKIP
    >>> frechet_distance(a, b)  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Protocol, Sequence

import numpy as np
import scipy.linalg

from tfsr.atomic import replacing
from tfsr.pixels import to_uint8, to_unit

log = logging.getLogger(__name__)

# Below these the matrix square root is trusted as it is (see the module docstring, step 5).
_SQRTM_MAX_RELATIVE_ERROR = 1e-4
_MAX_IMAGINARY = 1e-3
_EPS = 1e-6


@dataclass(frozen=True)
class FidProtocol:
    """The fixed choices of an FID measurement (see the module docstring).

    Args:
        image_size: side of the square images fed to the feature network.
        resize_method: `tf.image.resize` method used to reach `image_size`.
        antialias: `tf.image.resize`'s anti-aliasing flag.
        quantise: round images to uint8 before everything else (as saving them would).
        covariance: `unbiased` (divide by N - 1).
        version: bumped whenever the code computing statistics changes, so old caches are not reused.
    """

    image_size: int = 299
    resize_method: str = "bilinear"
    antialias: bool = False
    quantise: bool = True
    covariance: str = "unbiased"
    version: int = 1

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


class FeatureExtractor(Protocol):
    """What FID needs of a feature network.

    Attributes:
        name: identifies the network and its weights (it is part of every cache key).
        image_size: side of the square images it takes, in [-1, 1].
    """

    name: str
    image_size: int

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """`[B, image_size, image_size, 3]` float32 in [-1, 1] -> `[B, D]` features."""
        ...


@dataclass
class KerasFeatures:
    """Any Keras model from images in [-1, 1] to feature vectors, as a `FeatureExtractor`.

    Args:
        model: the network; its output is flattened per image.
        name: identifies the network and its weights in cache keys.
        image_size: side of its input images.

    Example:
        >>> net = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.GlobalAveragePooling2D()])  # doctest: +SKIP
        >>> features = KerasFeatures(net, "mean-colour", 32)  # doctest: +SKIP
    """

    model: object
    name: str
    image_size: int

    def __call__(self, images: np.ndarray) -> np.ndarray:
        out = self.model(images, training=False)
        out = np.asarray(out, dtype=np.float32)
        return out.reshape(len(out), -1)


@dataclass(frozen=True)
class FeatureStatistics:
    """Mean and covariance of a set's features.

    Args:
        mu: `[D]` mean.
        sigma: `[D, D]` unbiased covariance.
        count: number of images.
    """

    mu: np.ndarray
    sigma: np.ndarray
    count: int

    @classmethod
    def from_features(cls, features: np.ndarray) -> "FeatureStatistics":
        """Statistics of `[N, D]` features (N >= 2) in float64."""
        f = np.asarray(features, dtype=np.float64)
        if f.ndim != 2 or len(f) < 2:
            raise ValueError(f"FID needs at least 2 feature vectors [N, D], got shape {f.shape}")
        return cls(mu=f.mean(axis=0), sigma=np.cov(f, rowvar=False), count=len(f))

    def save(self, path: str | os.PathLike[str]) -> None:
        """Writes an `.npz` atomically (a concurrent reader never sees half a file)."""
        with replacing(path) as tmp:
            np.savez(tmp, mu=self.mu, sigma=self.sigma, count=self.count)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "FeatureStatistics":
        with np.load(path) as f:
            return cls(mu=f["mu"], sigma=f["sigma"], count=int(f["count"]))


def quantise(images: np.ndarray) -> np.ndarray:
    """uint8 images as saving would make them: uint8 passes through, floats in [-1, 1] are rounded."""
    return to_uint8(images)


def _prepare(images: np.ndarray, protocol: FidProtocol, size: int) -> np.ndarray:
    import tensorflow as tf

    x = to_unit(quantise(images)) if protocol.quantise else np.asarray(images, np.float32)
    if x.shape[1:3] != (size, size):
        x = tf.image.resize(x, (size, size), method=protocol.resize_method, antialias=protocol.antialias).numpy()
    return x


def extract_features(
    images: np.ndarray,
    extractor: FeatureExtractor,
    protocol: FidProtocol = FidProtocol(),
    batch_size: int = 50,
) -> np.ndarray:
    """Features `[N, D]` of `[N, H, W, 3]` images (uint8, or float in [-1, 1]) under `protocol`."""
    if extractor.image_size != protocol.image_size:
        raise ValueError(
            f"feature network '{extractor.name}' takes {extractor.image_size}px images, "
            f"the protocol resizes to {protocol.image_size}px"
        )
    chunks = [
        extractor(_prepare(images[i : i + batch_size], protocol, protocol.image_size))
        for i in range(0, len(images), batch_size)
    ]
    return np.concatenate(chunks).astype(np.float32)


def image_statistics(
    images: np.ndarray,
    extractor: FeatureExtractor,
    protocol: FidProtocol = FidProtocol(),
    batch_size: int = 50,
) -> FeatureStatistics:
    """`FeatureStatistics` of a set of images (see `extract_features`)."""
    return FeatureStatistics.from_features(extract_features(images, extractor, protocol, batch_size))


def _sqrtm(a: np.ndarray) -> tuple[np.ndarray, float]:
    root = scipy.linalg.sqrtm(a)
    norm = np.linalg.norm(a, "fro")
    error = np.linalg.norm(root @ root - a, "fro") / norm if norm > 0 else 0.0
    return root, float(error) if np.isfinite(error) else float("inf")


def frechet_distance(a: FeatureStatistics, b: FeatureStatistics, eps: float = _EPS) -> float:
    """Fréchet distance between the Gaussians `N(a.mu, a.sigma)` and `N(b.mu, b.sigma)`.

    Raises:
        ValueError: the statistics have different dimensions, or the square root of the covariance
            product has a large imaginary part (the covariances are not positive semi-definite).
    """
    mu1, mu2 = np.atleast_1d(a.mu).astype(np.float64), np.atleast_1d(b.mu).astype(np.float64)
    s1, s2 = np.atleast_2d(a.sigma).astype(np.float64), np.atleast_2d(b.sigma).astype(np.float64)
    if mu1.shape != mu2.shape or s1.shape != s2.shape:
        raise ValueError(f"feature statistics differ in size: {mu1.shape} vs {mu2.shape}")
    root, error = _sqrtm(s1 @ s2)
    if not np.all(np.isfinite(root)) or error > _SQRTM_MAX_RELATIVE_ERROR:
        log.warning("FID: sqrtm of the covariance product is inexact (relative error %.2g); adding %g to the "
                    "diagonals", error, eps)
        offset = np.eye(len(s1)) * eps
        root, _ = _sqrtm((s1 + offset) @ (s2 + offset))
    if np.iscomplexobj(root):
        imaginary = np.max(np.abs(np.diagonal(root).imag))
        if imaginary > _MAX_IMAGINARY:
            raise ValueError(f"FID: the covariance square root has an imaginary component of {imaginary:.3g}")
        root = root.real
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(root))


def file_digest(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def statistics_key(files: Sequence[Path], root: Path, protocol: FidProtocol, extractor_name: str) -> str:
    """Cache key of a file set: a hash of the protocol, the feature network and each file's name and bytes.

    Names are taken relative to `root`, so a folder that moves keeps its cache; a file that changes does not.
    """
    h = hashlib.sha256()
    h.update(json.dumps({"protocol": protocol.to_dict(), "features": extractor_name}, sort_keys=True).encode())
    for p in files:
        h.update(str(Path(p).relative_to(root).as_posix()).encode() + b"\0" + file_digest(p).encode() + b"\n")
    return h.hexdigest()[:32]


class StatisticsCache:
    """FID statistics of file sets stored as `<dir>/<key>.npz`, where `key` comes from `statistics_key`.

    Args:
        directory: where the `.npz` files live; None disables caching.
    """

    def __init__(self, directory: str | os.PathLike[str] | None) -> None:
        self.directory = Path(directory).expanduser() if directory is not None else None

    def get_or_compute(self, key: str, compute: Callable[[], FeatureStatistics]) -> FeatureStatistics:
        """The cached statistics for `key`, or `compute()` stored under it."""
        if self.directory is None:
            return compute()
        path = self.directory / f"{key}.npz"
        if path.is_file():
            try:
                stats = FeatureStatistics.load(path)
                log.info("FID statistics from cache %s", path)
                return stats
            except (OSError, ValueError, KeyError):
                log.warning("FID cache %s is damaged; recomputing", path)
        stats = compute()
        stats.save(path)
        return stats


def fid(
    images_a: np.ndarray,
    images_b: np.ndarray,
    extractor: FeatureExtractor,
    protocol: FidProtocol = FidProtocol(),
    batch_size: int = 50,
) -> float:
    """FID between two in-memory image sets (no caching)."""
    return frechet_distance(
        image_statistics(images_a, extractor, protocol, batch_size),
        image_statistics(images_b, extractor, protocol, batch_size),
    )

