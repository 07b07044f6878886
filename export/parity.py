"""How far a `.tflite` file's output is from the Keras float output: numerical parity and image quality.

Parity is measured on fixed inputs with per-format tolerances; quality as PSNR and SSIM of the 64x64
outputs (range [-1, 1]) on held-out real faces, the Keras float output being the reference.

Example:
    >>> a = np.zeros((2, 64, 64, 3), np.float32)
    >>> compare(a, a + 0.01)["max_abs"] <= 0.0100001
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Above this PSNR (dB) against the float output, a format's loss is invisible on a phone screen; below it
# the report flags the format.
QUALITY_FLOOR_DB = 35.0


@dataclass(frozen=True)
class Tolerance:
    """Largest acceptable difference from the Keras float output on the parity inputs.

    Args:
        max_abs: bound on the largest absolute difference of any output value.
        mean_abs: bound on the mean absolute difference.
    """

    max_abs: float
    mean_abs: float


# fp32 differs from Keras only by summation order; fp16 by half-precision weights; dynamic and int8 by
# 8-bit rounding of weights (and activations), whose error grows with depth and is bounded on average
# rather than per pixel. Outputs live in [-1, 1].
TOLERANCES: dict[str, Tolerance] = {
    "fp32": Tolerance(max_abs=1e-4, mean_abs=1e-5),
    "fp16": Tolerance(max_abs=5e-2, mean_abs=5e-3),
    "dynamic": Tolerance(max_abs=0.5, mean_abs=3e-2),
    "int8": Tolerance(max_abs=1.0, mean_abs=6e-2),
}


def psnr(reference: np.ndarray, test: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of images in [-1, 1] (peak-to-peak 2), over the whole batch.

    Not `tfsr.evaluation.metrics.psnr`: that one scores saved 8-bit pictures (it quantises first), which would
    call an fp32 file and a 1e-3 drift equally perfect; here the float outputs themselves are compared.
    """
    mse = float(np.mean((np.asarray(reference, np.float64) - np.asarray(test, np.float64)) ** 2))
    return float("inf") if mse == 0 else float(10 * np.log10(4.0 / mse))


def ssim(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean structural similarity over a batch of `[N, H, W, 3]` images in [-1, 1]."""
    from skimage.metrics import structural_similarity

    return float(
        np.mean(
            [
                structural_similarity(r, t, data_range=2.0, channel_axis=-1)
                for r, t in zip(np.asarray(reference, np.float64), np.asarray(test, np.float64))
            ]
        )
    )


def compare(reference: np.ndarray, test: np.ndarray) -> dict[str, float]:
    """`max_abs`, `mean_abs`, `psnr` and `ssim` of `test` against `reference` (same shape)."""
    if np.shape(reference) != np.shape(test):
        raise ValueError(f"shapes differ: {np.shape(reference)} vs {np.shape(test)}")
    diff = np.abs(np.asarray(reference, np.float64) - np.asarray(test, np.float64))
    return {
        "max_abs": float(diff.max()),
        "mean_abs": float(diff.mean()),
        "psnr": psnr(reference, test),
        "ssim": ssim(reference, test),
    }


def within(fmt: str, stats: dict[str, float]) -> bool:
    """Whether `compare` statistics meet the format's tolerance (NaN never does)."""
    tol = TOLERANCES[fmt]
    return bool(stats["max_abs"] <= tol.max_abs and stats["mean_abs"] <= tol.mean_abs)
