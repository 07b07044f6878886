"""High-resolution images per second through tfsr's data pipeline, next to a bare tf.data baseline.

Generates a folder of 178x218 JPEGs (CelebA's aligned size), then times, in the same run:

- `bare baseline`: read -> decode_jpeg -> central crop -> area resize to 64 -> random flip -> random
  brightness, per image in `map`, then batch (the simplest pipeline one would write);
- `decode + crop only`: read -> decode_and_crop_jpeg, batch (the floor: JPEG decoding);
- `tfsr, no augmentation`: `build_hr_dataset(..., augment=False)` (decode, crop, area resize, [-1, 1]);
- `tfsr, full augmentation`: `build_hr_dataset(...)`: + flip, scale, rotation (one affine warp per
  image, straight from the decoded crop) and colour jitter (brightness, contrast, saturation, hue).

The rows are timed in turn, `--repeats` rounds of `--batches` batches each after a warm-up, so a change
in the machine's load hits every row alike; each cell is the median over the rounds. Besides images/s
(wall clock), the process CPU time per image is printed: it hardly depends on what else the machine
runs, and `cores / CPU time` bounds the rate on an idle machine.

Usage:
    python benchmarks/data_pipeline.py [--images 2000] [--batch 64] [--batches 40] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

from tfsr.config import config_from_dict  # noqa: E402
from tfsr.data.pipeline import build_hr_dataset  # noqa: E402


def make_jpegs(folder: Path, n: int) -> None:
    """Smooth random images with mild noise: JPEG sizes like photos (~10 KB), not like pure noise."""
    rng = np.random.default_rng(0)
    for k in range(n):
        coarse = rng.integers(0, 256, (7, 6, 3)).astype(np.uint8)
        image = np.asarray(Image.fromarray(coarse).resize((178, 218), Image.BICUBIC)).astype(np.int16)
        image = np.clip(image + rng.integers(-6, 7, image.shape), 0, 255).astype(np.uint8)
        Image.fromarray(image).save(folder / f"{k:06d}.jpg", quality=90)


def _per_image(files: list[str], load, batch: int) -> tf.data.Dataset:
    return (
        tf.data.Dataset.from_tensor_slices(files)
        .repeat()
        .map(load, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def bare_baseline(files: list[str], batch: int, size: int, crop: int) -> tf.data.Dataset:
    def load(path):
        image = tf.io.decode_jpeg(tf.io.read_file(path), channels=3)
        y0, x0 = (218 - crop) // 2, (178 - crop) // 2
        image = tf.image.resize(image[y0 : y0 + crop, x0 : x0 + crop], [size, size], method="area")
        image = tf.image.random_flip_left_right(image)
        return tf.image.random_brightness(image, 25.0) * (2.0 / 255.0) - 1.0

    return _per_image(files, load, batch)


def decode_only(files: list[str], batch: int, crop: int) -> tf.data.Dataset:
    window = tf.constant([(218 - crop) // 2, (178 - crop) // 2, crop, crop])

    def load(path):
        return tf.io.decode_and_crop_jpeg(tf.io.read_file(path), window, channels=3)

    return _per_image(files, load, batch)


def time_batches(it, batch: int, batches: int) -> tuple[float, float]:
    """(images/s, CPU ms per image) over the next `batches` batches of `it`."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(batches):
        next(it)
    n = batch * batches
    return n / (time.perf_counter() - wall), (time.process_time() - cpu) * 1e3 / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    fraction = 0.8
    crop = round(178 * fraction)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_jpegs(folder, args.images)
        files = sorted(str(p) for p in folder.glob("*.jpg"))
        cfg = config_from_dict(
            {"data": {"hr_dirs": [tmp], "hr_centre_crop": fraction, "test_fraction": 0.0}}, "benchmark"
        )
        start = time.perf_counter()
        hr_plain = build_hr_dataset(cfg, args.batch, seed=0, augment=False)
        setup = time.perf_counter() - start
        rows = [
            ("bare baseline (decode, crop, area resize, flip, brightness)", bare_baseline(files, args.batch, 64, crop)),
            ("decode + crop only (decode_and_crop_jpeg)", decode_only(files, args.batch, crop)),
            ("tfsr, no augmentation", hr_plain),
            ("tfsr, full augmentation (flip, scale, rotation, colour)", build_hr_dataset(cfg, args.batch, seed=0)),
        ]
        iterators = [iter(ds) for _, ds in rows]
        for it in iterators:
            for _ in range(5):  # warm-up: autotuning, the first shuffle, thread start-up
                next(it)
        load_before = os.getloadavg()[0]
        timings = [[time_batches(it, args.batch, args.batches) for it in iterators] for _ in range(args.repeats)]
        load_after = os.getloadavg()[0]
    print(f"\n{args.images} generated 178x218 JPEGs, batch {args.batch}, {os.cpu_count()} CPUs, "
          f"median of {args.repeats} interleaved rounds of {args.batches} batches; "
          f"load average {load_before:.1f} -> {load_after:.1f}")
    print(f"source scan + validation before the first batch: {setup:.2f} s ({args.images / setup:,.0f} files/s)\n")
    print(f"| {'pipeline':<62} | {'images/s':>9} | {'CPU ms/image':>12} |")
    print(f"|{'-' * 64}|{'-' * 11}|{'-' * 14}|")
    for k, (name, _) in enumerate(rows):
        rate = statistics.median(t[k][0] for t in timings)
        cpu = statistics.median(t[k][1] for t in timings)
        print(f"| {name:<62} | {rate:>9,.0f} | {cpu:>12.3f} |")


if __name__ == "__main__":
    main()
