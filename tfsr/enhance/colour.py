"""Keeping a face's colour: shift the super-resolved face so that its low frequencies match the input's.

A Low-to-High generator trained with the pixel loss keeps colour well, but an undertrained one (or one
trained on differently lit faces) can tint a face, and a tinted face pasted into a photo shows at once.
The fix is cheap and leaves the generator's detail alone: downsample the 64x64 output by area averaging,
compare it with the 16x16 input, and add the difference back, smoothly upsampled.

Modes:
    `off`: the generator's output as it is.
    `mean`: one offset per channel, so the face's mean colour equals the input's.
    `lowpass` (default): a `GRID x GRID` field of offsets (bilinearly upsampled), so a shading gradient is
        kept as well, then the per-channel mean is matched exactly as in `mean`.

In all modes the result is clipped to [-1, 1], which is the only way the means can still differ (by the
amount clipped).

Example:
    >>> high = np.zeros((1, 64, 64, 3), np.float32)
    >>> low = np.full((1, 16, 16, 3), 0.5, np.float32)
    >>> float(keep_colour(high, low, "mean").mean())
    0.5
"""

from __future__ import annotations

import numpy as np

from tfsr.faces import area_weights, bilinear_weights

COLOUR_MODES = ("off", "mean", "lowpass")
#: Side of the grid of colour offsets in `lowpass` mode: 4x4 cells of a face are skin/hair/background-sized.
GRID = 4


def _separable(weights: np.ndarray, batch: np.ndarray) -> np.ndarray:
    """Applies `weights` (`out x S`) along rows and columns of a batch `[N, S, S, C]`, in float64.

    Matrix products rather than einsum, whose unoptimised loops cost ~10 ms per face.
    """
    n, s, _, c = batch.shape
    out = len(weights)
    rows = np.matmul(weights, batch.astype(np.float64).reshape(n, s, s * c)).reshape(n, out, s, c)
    cols = np.matmul(weights, rows.transpose(0, 2, 1, 3).reshape(n, s, out * c)).reshape(n, out, out, c)
    return cols.transpose(0, 2, 1, 3)


def _channel_means(batch: np.ndarray) -> np.ndarray:
    """`batch.mean(axis=(1, 2))` of a float64 batch `[N, H, W, C]`, with the same sums in the same order.

    numpy adds the pixels one after the other, with the channels in its innermost loop; with the batch's
    `N * C` sums there instead (pixels first, a transposed copy), the loop is several times faster.
    """
    n, h, w, c = batch.shape
    return batch.transpose(1, 2, 0, 3).reshape(h * w, n * c).mean(axis=0).reshape(n, c)


def keep_colour(high: np.ndarray, low: np.ndarray, mode: str = "lowpass") -> np.ndarray:
    """Shifts super-resolved faces so that their colour matches their inputs'.

    Args:
        high: float32 `[N, 64, 64, 3]` generator outputs in [-1, 1].
        low: float32 `[N, 16, 16, 3]` generator inputs in [-1, 1].
        mode: `off`, `mean` or `lowpass` (see the module docstring).

    Returns:
        float32 `[N, 64, 64, 3]` in [-1, 1].
    """
    if mode not in COLOUR_MODES:
        raise ValueError(f"colour mode must be one of {COLOUR_MODES}, got {mode!r}")
    if mode == "off" or not len(high):
        return high
    out = high.astype(np.float64)
    if mode == "lowpass":
        side = high.shape[1]
        offsets = _separable(area_weights(low.shape[1], GRID), low) - _separable(area_weights(side, GRID), high)
        out += _separable(bilinear_weights(GRID, side), offsets)
    out += (_channel_means(low.astype(np.float64)) - _channel_means(out))[:, None, None, :]
    return np.clip(out, -1.0, 1.0).astype(np.float32)


__all__ = ["COLOUR_MODES", "GRID", "keep_colour"]
