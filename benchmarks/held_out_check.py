"""Held-out check of the small recipe: an identity never trained on, and a degradation chain written only here.

HR training faces: 40 crops of two of the three demo identities plus photo patches of their portraits; the
unpaired "real" LR set: other crops of the same two identities through the hidden chain; the test pairs: the
third identity through the same chain (other draws). Trains as a user would, through the CLI:

    tfsr train configs/small/stage1.yaml --set data.hr_dirs=[...] --set data.lr_dirs=[...]
    tfsr train configs/small/stage2.yaml ... --set training.high_to_low_run=...
    tfsr train configs/small/stage3.yaml ...
    tfsr train configs/small/stage2.yaml ... --set training.degradation=bilinear --set training.high_to_low_run=

and prints PSNR/SSIM (Y and RGB) of every row against the test HR faces, bicubic included, with each stage's
time, and PSNR-Y against updates from each run's kept checkpoints (`curve.png`). Finished runs are reused, so an interrupted check resumes. About an hour on 2 idle cores.

Usage:
    python benchmarks/held_out_check.py WORK_DIR [--identity grace_hopper] [--chain noisy|blurry|sharpened] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import tensorflow as tf

from tfsr.data import degrade, demo
from tfsr.evaluation import metrics
from tfsr.experiments import real_world as rw
from tfsr.models import load_generator
from tfsr.pixels import to_uint8, to_unit
from tfsr.training.samples import save_grid, tile

TFSR = [sys.executable, "-m", "tfsr.cli"]


def noisy_chain(x: tf.Tensor, seed: list[int]) -> tf.Tensor:
    """Blur kernel 1-4 px -> anti-aliased bicubic x1/4 -> sensor noise 2-12 levels -> colour shift -> JPEG 40-85."""
    s = tf.unstack(tf.random.experimental.stateless_split(tf.constant(seed, tf.int64), 4))
    x = degrade.gaussian_blur(x, s[0], (1.0, 4.0))
    x = degrade.bicubic(x, 4)
    x = degrade.sensor_noise(x, s[1], read_sigma=(2.0, 12.0), shot_gain=(0.0, 0.01))
    x = degrade.colour_shift(x, s[2], 0.08, 0.04)
    return degrade.jpeg(x, s[3], (40, 85))


def blurry_chain(x: tf.Tensor, seed: list[int]) -> tf.Tensor:
    """Blur kernel 4-9 px -> bilinear x1/4 without anti-aliasing -> light noise 1-4 levels -> JPEG 25-50."""
    s = tf.unstack(tf.random.experimental.stateless_split(tf.constant(seed, tf.int64), 4))
    x = degrade.gaussian_blur(x, s[0], (4.0, 9.0))
    x = degrade.bilinear(x, 4)
    x = degrade.sensor_noise(x, s[1], read_sigma=(1.0, 4.0), shot_gain=(0.0, 0.005))
    return degrade.jpeg(x, s[3], (25, 50))


def sharpened_chain(x: tf.Tensor, seed: list[int]) -> tf.Tensor:
    """Area x1/4 -> unsharp mask (amount 0.5-1.5, the halos of a phone's sharpening) -> noise 1-3 levels ->
    JPEG 50-80: a degradation outside what High-to-Low's prior can draw (it only blurs)."""
    s = tf.unstack(tf.random.experimental.stateless_split(tf.constant(seed, tf.int64), 4))
    x = tf.image.resize(x, tf.shape(x)[1:3] // 4, "area")
    amount = tf.random.stateless_uniform([tf.shape(x)[0], 1, 1, 1], s[0], 0.5, 1.5)
    x = x + amount * (x - degrade.gaussian_blur(x, s[2], (3.0, 3.0)))
    x = degrade.sensor_noise(x, s[1], read_sigma=(1.0, 3.0), shot_gain=(0.0, 0.002))
    return degrade.jpeg(x, s[3], (50, 80))


CHAINS = {"noisy": noisy_chain, "blurry": blurry_chain, "sharpened": sharpened_chain}


def through(chain, faces: np.ndarray, seed: int) -> np.ndarray:
    """Each face through its own draw of `chain`."""
    return to_uint8(tf.concat([chain(to_unit(faces[i : i + 1]), [seed, i]) for i in range(len(faces))], 0))


def train(config: str, run: Path, hr_dir: Path, lr_dir: Path, *extra: str) -> float:
    """`tfsr train` as a user runs it; returns its wall time (0 when the run had already finished)."""
    if (run / "models").exists():
        return 0.0
    start = time.time()
    cmd = [*TFSR, "train", config, "--run-dir", str(run), "--set", f"data.hr_dirs=[{hr_dir}]",
           "--set", f"data.lr_dirs=[{lr_dir}]", *extra]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.time() - start


def psnr_by_update(run: Path, lr: np.ndarray, hr: np.ndarray, start: float) -> dict[int, float]:
    """PSNR-Y of the EMA Low-to-High at each kept checkpoint of `run` (`start`: the value before training)."""
    generator = load_generator(run, "low_to_high")
    points = {0: start}
    for index in sorted((run / "checkpoints").glob("ckpt-*.index"), key=lambda i: int(i.stem.split("-")[1])):
        reader = tf.train.load_checkpoint(str(index.with_suffix("")))
        keys = [k for k in reader.get_variable_to_shape_map() if k.startswith("ema_low_to_high/averages/")]
        keys.sort(key=lambda k: int(k.split("/")[2]))
        generator.set_weights([reader.get_tensor(k) for k in keys])
        points[int(index.stem.split("-")[1])] = metrics.quality(np.asarray(generator(lr, training=False)), hr)["psnr_y"]
    return points


def plot_curves(curves: dict[str, dict[int, float]], bicubic: float, path: Path) -> None:
    """PSNR-Y against Low-to-High updates, one line per row (stage 3 drawn after stage 2's updates)."""
    import matplotlib  # a plotting dependency only this script needs

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=110)
    ax.axhline(bicubic, color="grey", ls="--", label=f"bicubic {bicubic:.2f}")
    for name, points in curves.items():
        ax.plot(list(points), list(points.values()), "o-", label=name)
    ax.set_xlabel("generator updates (Low-to-High)")
    ax.set_ylabel("PSNR-Y on held-out pairs (dB)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", type=Path)
    parser.add_argument("--identity", default="grace_hopper", choices=sorted(demo.photos()))
    parser.add_argument("--chain", default="noisy", choices=sorted(CHAINS))
    parser.add_argument("--set", action="append", default=[], help="an override passed to every stage")
    args = parser.parse_args()
    work, chain = args.work, CHAINS[args.chain]
    overrides = [a for kv in args.set for a in ("--set", kv)]

    crops = demo.hr_faces(64)
    names = list(demo.photos())
    who = np.repeat(np.arange(len(names)), demo.CROPS_PER_FACE)
    test = names.index(args.identity)
    rng = np.random.default_rng(5)
    train_idx = rng.permutation(np.nonzero(who != test)[0])
    patches = [np.stack(rw._patches(p, 24, rng)) for n, p in demo.photos().items() if n != args.identity]
    hr_train = np.concatenate([crops[train_idx[:40]], *patches])
    test_hr = crops[who == test][::2]
    real_lr, test_lr = through(chain, crops[train_idx[40:]], 101), through(chain, test_hr, 202)
    hr_dir, lr_dir = rw._write_folder(work / "hr", hr_train), rw._write_folder(work / "lr", real_lr)
    print(f"{len(hr_train)} HR, {len(real_lr)} real LR, {len(test_hr)} test pairs of {args.identity!r}, "
          f"chain {args.chain!r}", flush=True)

    times = {}
    times["stage1"] = train("configs/small/stage1.yaml", work / "stage1", hr_dir, lr_dir, *overrides)
    up1 = ["--set", f"training.high_to_low_run={work / 'stage1'}"]
    times["stage2"] = train("configs/small/stage2.yaml", work / "stage2", hr_dir, lr_dir, *overrides, *up1)
    up2 = [*up1, "--set", f"training.low_to_high_run={work / 'stage2'}"]
    times["stage3"] = train("configs/small/stage3.yaml", work / "stage3", hr_dir, lr_dir, *overrides, *up2)
    baseline = ["--set", "training.degradation=bilinear", "--set", "training.high_to_low_run="]
    times["bilinear"] = train("configs/small/stage2.yaml", work / "bilinear", hr_dir, lr_dir, *overrides, *baseline)

    lr = to_unit(test_lr)
    outputs = {"bicubic": metrics.upsampled(lr, 4, "bicubic")}
    for key in ("bilinear", "stage2", "stage3"):
        outputs[key] = np.asarray(load_generator(work / key, "low_to_high")(lr, training=False))
    rows = {key: metrics.quality(sr, test_hr) for key, sr in outputs.items()}
    print("| method | PSNR-Y (dB) | SSIM-Y | PSNR-RGB (dB) |\n|---|---:|---:|---:|")
    for key, q in rows.items():
        print(f"| {key} | {q['psnr_y']:.2f} | {q['ssim_y']:.3f} | {q['psnr_rgb']:.2f} |")
    print("stage times (s):", json.dumps({k: round(v) for k, v in times.items()}))
    bicubic = rows["bicubic"]["psnr_y"]
    stage2 = psnr_by_update(work / "stage2", lr, test_hr, bicubic)
    last = max(stage2)
    stage3 = {last + step: v for step, v in psnr_by_update(work / "stage3", lr, test_hr, stage2[last]).items()}
    curves = {"Low-to-High on bilinear": psnr_by_update(work / "bilinear", lr, test_hr, bicubic),
              "full method, stage 2": stage2, "full method, stage 3": stage3}
    print("PSNR-Y by update:", json.dumps({k: {s: round(v, 3) for s, v in c.items()} for k, c in curves.items()}))
    plot_curves(curves, bicubic, work / "curve.png")
    grid = [test_lr[:8]] + [to_uint8(outputs[k][:8]) for k in ("bicubic", "bilinear", "stage2", "stage3")] + [test_hr[:8]]
    save_grid(tile(grid, 128), work / "before_after.png")
    print(f"rows LR, bicubic, bilinear-trained, stage 2, stage 3, HR: {work / 'before_after.png'}")


if __name__ == "__main__":
    main()
