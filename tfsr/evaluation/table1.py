"""The paper's table 1 for one trained model, measured under pinned protocols.

- FID (real low-resolution test set): the Low-to-High outputs of the real LR test faces against a
  high-resolution reference set (`fid.py` gives the FID protocol).
- PSNR / SSIM (bilinear pairs): high-resolution faces bilinearly downsampled by 4, super-resolved, and
  compared with the originals (`metrics.py` gives the protocol). Optional.
- Degradation realism (the paper's 15.27 vs 23.15): FID between High-to-Low outputs of the reference
  faces and the real LR test faces, next to FID between bilinear downsamples of the same faces and the
  real LR test faces. The High-to-Low row needs a run that has (or names) a High-to-Low generator.

Sets: the LR test folder must hold exactly `num_images` faces (all of them if unset); the HR reference
folder at least that many, of which the first `num_images` in path order are used, so both sides of every
FID have the same number of images (FID is biased by the sample size).

Example:
    >>> sets = load_evaluation_sets("data/lr_test", "data/hr_ref", num_images=3000)  # doctest: +SKIP
    >>> results = evaluate_model("runs/l2h", sets, inception_v3())  # doctest: +SKIP
    >>> print(format_markdown(results))  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tfsr.errors import DataError
from tfsr.evaluation import metrics
from tfsr.evaluation.fid import (
    FeatureExtractor,
    FeatureStatistics,
    FidProtocol,
    StatisticsCache,
    frechet_distance,
    image_statistics,
    statistics_key,
)
from tfsr.evaluation.folders import ImageSet, load_image_set
from tfsr.evaluation.generators import HighToLow, LowToHigh, find_high_to_low

log = logging.getLogger(__name__)

SCALE = 4
# Seed of the High-to-Low noise when measuring its outputs, so the number can be repeated.
NOISE_SEED = 0
# Below this many images the covariance of Inception's 2048 features is singular.
FEATURES_FOR_UNBIASED = 2048


def _to_float(images: np.ndarray) -> np.ndarray:
    return images.astype(np.float32) / 127.5 - 1.0


@dataclass
class EvaluationSets:
    """The image sets of one evaluation, read and checked.

    Args:
        lr_test: real low-resolution test faces.
        hr_reference: high-resolution reference faces (as many as `lr_test`).
        paired_hr: high-resolution faces for PSNR/SSIM, or None.
    """

    lr_test: ImageSet
    hr_reference: ImageSet
    paired_hr: ImageSet | None = None


def load_evaluation_sets(
    lr_test: str | os.PathLike[str],
    hr_reference: str | os.PathLike[str],
    paired_hr: str | os.PathLike[str] | None = None,
    num_images: int | None = None,
    num_paired: int | None = None,
) -> EvaluationSets:
    """Reads and checks the folders of an evaluation (before any network is loaded, so mistakes fail fast).

    Args:
        lr_test: folder of real low-resolution test faces.
        hr_reference: folder of high-resolution reference faces.
        paired_hr: folder of high-resolution faces for PSNR/SSIM (None skips them).
        num_images: faces of the LR test set (it must hold exactly this many); None uses all.
        num_paired: faces of `paired_hr` (it must hold exactly this many); None uses all.

    Raises:
        DataError: a folder is missing or empty, holds the wrong number of faces, or a face has the wrong
            size (HR sets must be 4x the LR test faces).
    """
    if num_images is not None and num_images < 2:
        raise DataError(f"--num-images must be at least 2 (FID needs a covariance), got {num_images}")
    if num_paired is not None and num_paired < 1:
        raise DataError(f"--num-paired must be at least 1, got {num_paired}")
    lr = load_image_set(lr_test, "--lr-test", count=num_images)
    if len(lr.pixels) < 2:
        raise DataError(f"--lr-test {lr.root}: FID needs at least 2 faces, found {len(lr.pixels)}")
    hr = load_image_set(hr_reference, "--hr-ref", size=SCALE * lr.size, count=len(lr.pixels), exact=False)
    paired = None
    if paired_hr is not None:
        paired = load_image_set(paired_hr, "--paired-hr", size=SCALE * lr.size, count=num_paired)
    return EvaluationSets(lr, hr, paired)


def evaluate_model(
    model: str | os.PathLike[str],
    sets: EvaluationSets,
    extractor: FeatureExtractor,
    *,
    protocol: FidProtocol = FidProtocol(),
    batch_size: int = 50,
    cache_dir: str | os.PathLike[str] | None = None,
    high_to_low: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Measures table 1 for one model.

    Args:
        model: a Low-to-High `.keras` file, run directory or `.tflite` file.
        sets: the test sets (`load_evaluation_sets`).
        extractor: FID feature network.
        protocol: FID protocol.
        batch_size: images per network call.
        cache_dir: where FID statistics of the folders are cached (None: no cache).
        high_to_low: a High-to-Low run or `.keras` file, when the model does not come with one.

    Returns:
        The `eval.json` content: the numbers, the sets, the protocols and the model.

    Raises:
        ModelError: a model cannot be loaded.
        DataError: the faces do not have the size a `.tflite` model takes.
    """
    from tfsr.models import load_generator

    generator = LowToHigh.load(model)
    if high_to_low is not None:
        degrader = HighToLow(load_generator(high_to_low, "high_to_low"), Path(high_to_low))
    else:
        degrader = find_high_to_low(model)
    lr, hr, paired = sets.lr_test, sets.hr_reference, sets.paired_hr
    if generator.input_size not in (None, lr.size):
        raise DataError(
            f"{lr.label} {lr.root}: faces are {lr.size}x{lr.size}, {model} takes "
            f"{generator.input_size}x{generator.input_size}"
        )
    cache = StatisticsCache(cache_dir)

    def folder_stats(images: ImageSet) -> FeatureStatistics:
        key = statistics_key(images.files, images.root, protocol, extractor.name)
        return cache.get_or_compute(key, lambda: image_statistics(images.pixels, extractor, protocol, batch_size))

    def stats(pixels: np.ndarray) -> FeatureStatistics:
        return image_statistics(pixels, extractor, protocol, batch_size)

    log.info("super-resolving %d test faces", len(lr.pixels))
    sr = generator(_to_float(lr.pixels), batch_size)
    lr_stats, hr_stats = folder_stats(lr), folder_stats(hr)
    results: dict[str, Any] = {
        "model": str(model),
        "runtime": generator.runtime,
        "fid_sr_vs_hr": frechet_distance(stats(sr), hr_stats),
        "fid_bilinear_vs_real_lr": frechet_distance(stats(metrics.bilinear_inputs(hr.pixels, SCALE)), lr_stats),
        "fid_high_to_low_vs_real_lr": None,
        "high_to_low": None,
    }
    if degrader is not None:
        fake_lr = degrader(_to_float(hr.pixels), seed=NOISE_SEED, batch_size=batch_size)
        results["fid_high_to_low_vs_real_lr"] = frechet_distance(stats(fake_lr), lr_stats)
        results["high_to_low"] = str(degrader.source)
    if paired is not None:
        sr_paired = generator(metrics.bilinear_inputs(paired.pixels, SCALE), batch_size)
        results.update(metrics.quality(sr_paired, paired.pixels))
    results["sets"] = {
        "lr_test": {"folder": str(lr.root), "images": len(lr.pixels), "size": lr.size,
                    "key": statistics_key(lr.files, lr.root, protocol, extractor.name)},
        "hr_reference": {"folder": str(hr.root), "images": len(hr.pixels), "size": hr.size,
                         "key": statistics_key(hr.files, hr.root, protocol, extractor.name)},
        "paired_hr": None if paired is None else {"folder": str(paired.root), "images": len(paired.pixels)},
    }
    results["protocol"] = {
        "fid": {**protocol.to_dict(), "features": extractor.name},
        "psnr_ssim": "uint8 [0,255]; RGB and BT.601 Y; SSIM 11x11 Gaussian sigma 1.5; no border crop; "
        "LR = tfsr.data.degrade.bilinear (no anti-aliasing)",
        "high_to_low_noise_seed": NOISE_SEED,
    }
    if len(lr.pixels) < FEATURES_FOR_UNBIASED:
        results["warning"] = (
            f"FID from {len(lr.pixels)} images (fewer than the {FEATURES_FOR_UNBIASED} Inception feature "
            "dimensions) is strongly biased; compare only numbers measured with the same number of images"
        )
    return results


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_markdown(results: dict[str, Any]) -> str:
    """Table 1 for one model (FID, PSNR, SSIM), then the degradation-realism comparison."""
    name = Path(results["model"]).name
    n = results["sets"]["lr_test"]["images"]
    lines = [
        f"| Method | FID (LR test set, {n} faces) | PSNR RGB / Y (bilinear pairs) | SSIM RGB / Y |",
        "|---|---:|---:|---:|",
        f"| {name} | {_number(results['fid_sr_vs_hr'])} | "
        f"{_number(results.get('psnr_rgb'))} / {_number(results.get('psnr_y'))} | "
        f"{_number(results.get('ssim_rgb'), 4)} / {_number(results.get('ssim_y'), 4)} |",
        "",
        "| Low-resolution faces | FID against the real LR test set |",
        "|---|---:|",
        f"| High-to-Low outputs | {_number(results['fid_high_to_low_vs_real_lr'])} |",
        f"| Bilinear downsampling | {_number(results['fid_bilinear_vs_real_lr'])} |",
        "",
        f"FID features: `{results['protocol']['fid']['features']}`.",
    ]
    if "warning" in results:
        lines.append(f"Note: {results['warning']}.")
    return "\n".join(lines)
