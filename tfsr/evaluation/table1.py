"""The paper's table 1 for one trained model, measured under pinned protocols.

- FID (real low-resolution test set): the Low-to-High outputs of the real LR test faces against a
  high-resolution reference set (`fid.py` gives the FID protocol).
- PSNR / SSIM (bilinear pairs): high-resolution faces bilinearly downsampled by 4, super-resolved, and
  compared with the originals (`metrics.py` gives the protocol). Optional.
- PSNR / SSIM (real pairs): low-resolution faces matched by file name to those high-resolution faces
  (`folders.match_pairs`), super-resolved, and compared with their partners; bicubic and bilinear
  upsampling of the same faces are reference rows. Optional.
- Degradation realism (the paper's 15.27 vs 23.15): FID between High-to-Low outputs of the reference
  faces and the real LR test faces, next to FID between bilinear downsamples of the same faces and the
  real LR test faces. The High-to-Low row needs a run that has (or names) a High-to-Low generator.

Sets: the LR test folder must hold exactly `num_images` faces (all of them if unset); the HR reference
folder at least that many, of which the first `num_images` in path order are used, so both sides of every
FID have the same number of images (FID is biased by the sample size).

Without a feature network (`extractor=None`, e.g. no Inception-v3 weights) every FID is None and the
reason is recorded; PSNR and SSIM are measured all the same.

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
from tfsr.evaluation.folders import ImagePairs, ImageSet, load_image_set, match_pairs
from tfsr.evaluation.generators import HighToLow, LowToHigh, find_high_to_low
from tfsr.models import load_generator
from tfsr.pixels import to_unit

log = logging.getLogger(__name__)

SCALE = 4
# Seed of the High-to-Low noise when measuring its outputs, so the number can be repeated.
NOISE_SEED = 0
# Below this many images the covariance of Inception's 2048 features is singular.
FEATURES_FOR_UNBIASED = 2048


def _to_float(images: np.ndarray) -> np.ndarray:
    return to_unit(images)


@dataclass
class EvaluationSets:
    """The image sets of one evaluation, read and checked.

    Args:
        lr_test: real low-resolution test faces.
        hr_reference: high-resolution reference faces (as many as `lr_test`).
        paired_hr: high-resolution faces for PSNR/SSIM, or None.
        paired_lr: real low-resolution partners of (some of) `paired_hr`, or None.
    """

    lr_test: ImageSet
    hr_reference: ImageSet
    paired_hr: ImageSet | None = None
    paired_lr: ImagePairs | None = None


def load_evaluation_sets(
    lr_test: str | os.PathLike[str],
    hr_reference: str | os.PathLike[str],
    paired_hr: str | os.PathLike[str] | None = None,
    num_images: int | None = None,
    num_paired: int | None = None,
    paired_lr: str | os.PathLike[str] | None = None,
) -> EvaluationSets:
    """Reads and checks the folders of an evaluation (before any network is loaded, so mistakes fail fast).

    Args:
        lr_test: folder of real low-resolution test faces.
        hr_reference: folder of high-resolution reference faces.
        paired_hr: folder of high-resolution faces for PSNR/SSIM (None skips them).
        num_images: faces of the LR test set (it must hold exactly this many); None uses all.
        num_paired: faces of `paired_hr` (it must hold exactly this many); None uses all.
        paired_lr: folder of real low-resolution faces named like faces of `paired_hr` (None: no real pairs).

    Raises:
        DataError: a folder is missing or empty, holds the wrong number of faces, or a face has the wrong
            size (HR sets must be 4x the LR test faces, `paired_lr` faces the size of the LR test faces);
            `paired_lr` without `paired_hr`, or no name in common.
    """
    if num_images is not None and num_images < 2:
        raise DataError(f"--num-images must be at least 2 (FID needs a covariance), got {num_images}")
    if num_paired is not None and num_paired < 1:
        raise DataError(f"--num-paired must be at least 1, got {num_paired}")
    if paired_lr is not None and paired_hr is None:
        raise DataError(f"--paired-lr {paired_lr}: needs --paired-hr, the high-resolution faces it is matched to")
    lr = load_image_set(lr_test, "--lr-test", count=num_images)
    if len(lr.pixels) < 2:
        raise DataError(f"--lr-test {lr.root}: FID needs at least 2 faces, found {len(lr.pixels)}")
    hr = load_image_set(hr_reference, "--hr-ref", size=SCALE * lr.size, count=len(lr.pixels), exact=False)
    paired = None
    if paired_hr is not None:
        paired = load_image_set(paired_hr, "--paired-hr", size=SCALE * lr.size, count=num_paired)
    pairs = None if paired_lr is None else match_pairs(paired, paired_lr, "--paired-lr", SCALE)
    return EvaluationSets(lr, hr, paired, pairs)


def evaluate_model(
    model: str | os.PathLike[str],
    sets: EvaluationSets,
    extractor: FeatureExtractor | None,
    *,
    protocol: FidProtocol = FidProtocol(),
    batch_size: int = 50,
    cache_dir: str | os.PathLike[str] | None = None,
    high_to_low: str | os.PathLike[str] | None = None,
    fid_skipped: str = "no FID feature network",
) -> dict[str, Any]:
    """Measures table 1 for one model.

    Args:
        model: a Low-to-High `.keras` file, run directory or `.tflite` file.
        sets: the test sets (`load_evaluation_sets`).
        extractor: FID feature network; None skips every FID (PSNR and SSIM are still measured).
        protocol: FID protocol.
        batch_size: images per network call.
        cache_dir: where FID statistics of the folders are cached (None: no cache).
        high_to_low: a High-to-Low run or `.keras` file, when the model does not come with one.
        fid_skipped: why there is no `extractor`, recorded in the results when it is None.

    Returns:
        The `eval.json` content: the numbers, the sets, the protocols and the model.

    Raises:
        ModelError: a model cannot be loaded.
        DataError: the faces do not have the size a `.tflite` model takes.
    """
    generator = LowToHigh.load(model)
    lr, hr, paired, pairs = sets.lr_test, sets.hr_reference, sets.paired_hr, sets.paired_lr
    if generator.input_size not in (None, lr.size):
        raise DataError(
            f"{lr.label} {lr.root}: faces are {lr.size}x{lr.size}, {model} takes "
            f"{generator.input_size}x{generator.input_size}"
        )
    results: dict[str, Any] = {"model": str(model), "runtime": generator.runtime}
    if extractor is None:
        results.update({"fid_sr_vs_hr": None, "fid_bilinear_vs_real_lr": None, "fid_high_to_low_vs_real_lr": None,
                        "high_to_low": None, "fid_skipped": fid_skipped})
    else:
        results.update(_fids(model, generator, sets, extractor, protocol, batch_size, cache_dir, high_to_low))
    if paired is not None:
        sr_paired = generator(metrics.bilinear_inputs(paired.pixels, SCALE), batch_size)
        results.update(metrics.quality(sr_paired, paired.pixels))
    if pairs is not None:
        log.info("super-resolving %d real pairs", len(pairs.names))
        lr_pairs = _to_float(pairs.lr)
        results["real_pairs"] = {
            "model": metrics.quality(generator(lr_pairs, batch_size), pairs.hr),
            "bicubic": metrics.quality(metrics.upsampled(pairs.lr, SCALE, "bicubic"), pairs.hr),
            "bilinear": metrics.quality(metrics.upsampled(pairs.lr, SCALE, "bilinear"), pairs.hr),
        }

    def key(images: ImageSet) -> str | None:
        return None if extractor is None else statistics_key(images.files, images.root, protocol, extractor.name)

    results["sets"] = {
        "lr_test": {"folder": str(lr.root), "images": len(lr.pixels), "size": lr.size, "key": key(lr)},
        "hr_reference": {"folder": str(hr.root), "images": len(hr.pixels), "size": hr.size, "key": key(hr)},
        "paired_hr": None if paired is None else {"folder": str(paired.root), "images": len(paired.pixels)},
        "paired_lr": None if pairs is None else {
            "folder": str(pairs.root), "pairs": len(pairs.names), "size": int(pairs.lr.shape[1]),
            "unmatched_hr": pairs.unmatched_hr, "unmatched_lr": pairs.unmatched_lr,
            "notice": pairs.unmatched_notice(),
        },
    }
    results["protocol"] = {
        "fid": None if extractor is None else {**protocol.to_dict(), "features": extractor.name},
        "psnr_ssim": "uint8 [0,255]; RGB and BT.601 Y; SSIM 11x11 Gaussian sigma 1.5; no border crop; "
        "LR = tfsr.data.degrade.bilinear (no anti-aliasing)",
        "real_pairs": "LR matched to --paired-hr by file name without extension; the same PSNR/SSIM; "
        "reference rows: tf.image.resize bicubic / bilinear of the LR faces, clipped",
        "high_to_low_noise_seed": NOISE_SEED,
    }
    if extractor is not None and len(lr.pixels) < FEATURES_FOR_UNBIASED:
        results["warning"] = (
            f"FID from {len(lr.pixels)} images (fewer than the {FEATURES_FOR_UNBIASED} Inception feature "
            "dimensions) is strongly biased; compare only numbers measured with the same number of images"
        )
    return results


def _fids(
    model: str | os.PathLike[str],
    generator: LowToHigh,
    sets: EvaluationSets,
    extractor: FeatureExtractor,
    protocol: FidProtocol,
    batch_size: int,
    cache_dir: str | os.PathLike[str] | None,
    high_to_low: str | os.PathLike[str] | None,
) -> dict[str, Any]:
    """The FID part of `evaluate_model` (its arguments), with the High-to-Low generator it used."""
    if high_to_low is not None:
        degrader = HighToLow(load_generator(high_to_low, "high_to_low"), Path(high_to_low))
    else:
        degrader = find_high_to_low(model)
    lr, hr = sets.lr_test, sets.hr_reference
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
        "fid_sr_vs_hr": frechet_distance(stats(sr), hr_stats),
        "fid_bilinear_vs_real_lr": frechet_distance(stats(metrics.bilinear_inputs(hr.pixels, SCALE)), lr_stats),
        "fid_high_to_low_vs_real_lr": None,
        "high_to_low": None,
    }
    if degrader is not None:
        fake_lr = degrader(_to_float(hr.pixels), seed=NOISE_SEED, batch_size=batch_size)
        results["fid_high_to_low_vs_real_lr"] = frechet_distance(stats(fake_lr), lr_stats)
        results["high_to_low"] = str(degrader.source)
    return results


def _number(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _quality_cells(values: dict[str, Any]) -> str:
    """`PSNR RGB / Y | SSIM RGB / Y` cells of a row (`-` where not measured)."""
    return (f"{_number(values.get('psnr_rgb'))} / {_number(values.get('psnr_y'))} | "
            f"{_number(values.get('ssim_rgb'), 4)} / {_number(values.get('ssim_y'), 4)}")


# Rows of the real-pairs table after the model's, by their key in `results["real_pairs"]`.
_REFERENCE_ROWS = (("bicubic", "Bicubic upsampling"), ("bilinear", "Bilinear upsampling"))


def format_markdown(results: dict[str, Any]) -> str:
    """Table 1 for one model (FID, PSNR, SSIM), the real pairs if measured, then the degradation realism."""
    name = Path(results["model"]).name
    n = results["sets"]["lr_test"]["images"]
    lines = [
        f"| Method | FID (LR test set, {n} faces) | PSNR RGB / Y (bilinear pairs) | SSIM RGB / Y |",
        "|---|---:|---:|---:|",
        f"| {name} | {_number(results['fid_sr_vs_hr'])} | {_quality_cells(results)} |",
    ]
    if results.get("real_pairs"):
        real, pairs = results["real_pairs"], results["sets"]["paired_lr"]
        lines += [
            "",
            f"| Real pairs ({pairs['pairs']} faces) | PSNR RGB / Y | SSIM RGB / Y |",
            "|---|---:|---:|",
            f"| {name} | {_quality_cells(real['model'])} |",
            *(f"| {title} | {_quality_cells(real[key])} |" for key, title in _REFERENCE_ROWS),
        ]
        if pairs["notice"]:
            lines.append(f"Note: {pairs['notice']}.")
    if results.get("fid_skipped"):
        lines += ["", f"FID skipped: {results['fid_skipped']}."]
    else:
        lines += [
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
