"""Sample grids: what the generators make of a fixed set of held-out faces, for TensorBoard and PNG files.

One column per face. Rows, top to bottom:

- the high-resolution face;
- High-to-Low's output for each of a few fixed noise vectors (shown enlarged 4x, nearest neighbour, so the
  pixels stay visible), when the stage has a High-to-Low generator;
- Low-to-High's output for the first of those (or, without a High-to-Low, for the bilinear downsampling of
  the face, the table-1 baselines' input), when the stage has a Low-to-High generator;
- real low-resolution faces (other people; for comparing the look of the degradation), enlarged 4x.

The faces and noise vectors are fixed at construction, so successive grids show training progress alone.

Example:
    >>> sheet = SampleSheet(build_eval_images(cfg, limit=6), noise_dim=16)  # doctest: +SKIP
    >>> grid = sheet.render(gan.generators(ema=True))  # uint8 [H, W, 3]  # doctest: +SKIP
"""

from __future__ import annotations

import io
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from tfsr.atomic import atomic_write
from tfsr.data import degrade
from tfsr.pixels import to_uint8

GAP = 2  # pixels between tiles


def tile(rows: list[np.ndarray], size: int) -> np.ndarray:
    """Lays out rows of uint8 images `[N, s, s, 3]` (each enlarged to `size` by pixel repetition) as one image."""
    n = max(len(r) for r in rows)
    grid = np.full((len(rows) * (size + GAP) - GAP, n * (size + GAP) - GAP, 3), 255, np.uint8)
    for i, row in enumerate(rows):
        for j, img in enumerate(row):
            factor = size // img.shape[0]
            big = img.repeat(factor, axis=0).repeat(factor, axis=1)
            grid[i * (size + GAP) : i * (size + GAP) + size, j * (size + GAP) : j * (size + GAP) + size] = big
    return grid


class SampleSheet:
    """Fixed faces and noise vectors, and the grid the current generators make of them.

    Args:
        hr: held-out high-resolution faces, float32 `[N, s, s, 3]` in [-1, 1].
        noise_dim: length of High-to-Low's noise vector.
        noise_count: how many noise vectors (rows of High-to-Low outputs).
        real_lr: optional real low-resolution faces `[M, s/4, s/4, 3]` in [-1, 1] for a last row.
        seed: seed of the noise vectors.
    """

    def __init__(
        self,
        hr: np.ndarray,
        noise_dim: int,
        noise_count: int = 3,
        real_lr: np.ndarray | None = None,
        seed: int = 0,
    ) -> None:
        self.hr = tf.constant(hr, tf.float32)
        rng = np.random.default_rng(seed)
        # One noise vector per row, shared by every face of the row: a row is one "kind" of degradation.
        self.noise = [
            tf.constant(np.repeat(rng.standard_normal((1, noise_dim)), len(hr), axis=0), tf.float32)
            for _ in range(noise_count)
        ]
        self.real_lr = None if real_lr is None or len(real_lr) == 0 else real_lr[: len(hr)]

    def render(self, generators: dict[str, keras.Model]) -> np.ndarray:
        """The grid, uint8 `[H, W, 3]`, from generators keyed `high_to_low` and/or `low_to_high`."""
        size = int(self.hr.shape[1])
        rows = [to_uint8(self.hr)]
        h2l, l2h = generators.get("high_to_low"), generators.get("low_to_high")
        lr = None
        if h2l is not None:
            outputs = [h2l((self.hr, z), training=False) for z in self.noise]
            rows += [to_uint8(o) for o in outputs]
            lr = outputs[0]
        if l2h is not None:
            if lr is None:
                lr = degrade.bilinear(self.hr, scale=4)
            rows.append(to_uint8(l2h(lr, training=False)))
        if self.real_lr is not None:
            rows.append(to_uint8(self.real_lr))
        return tile(rows, size)


def save_grid(grid: np.ndarray, path: Path) -> None:
    """Writes a grid as PNG (through a temporary file, so a reader never sees half of it)."""
    buffer = io.BytesIO()
    Image.fromarray(grid).save(buffer, format="PNG")
    atomic_write(path, buffer.getvalue())
