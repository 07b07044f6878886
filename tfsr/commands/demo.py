"""Run the whole job on the embedded demo data: 3 training stages -> TFLite export -> enhanced photos.

Everything lands in one folder (default `demo_out/`):
    runs/stage1, runs/stage2, runs/stage3   the training runs (configs/demo_stage{1,2,3}.yaml)
    export/                                  the Low-to-High generator as .tflite files, with report.md
    enhance/                                 before_after.png: a photo with small faces enlarged 4x,
                                             bicubic above tfsr, faces outlined (and group.png, faces.png)
    summary.png                              HR faces, High-to-Low samples for 3 noise vectors, super-resolved faces
    comparison.png, comparison.md            held-out demo faces through the demo camera: bicubic vs tfsr
Running it again resumes: finished stages are not retrained. The last lines printed compare tfsr with
bicubic upsampling (PSNR-Y and SSIM-Y) on the held-out demo faces that the stand-in camera degraded.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from tfsr.commands import add_overrides
from tfsr.config import bundled_configs, load_config
from tfsr.export.parity import QUALITY_FLOOR_DB

STAGES = (
    ("stage1", "Stage 1: the High-to-Low GAN learns to degrade (unpaired HR and real LR faces)"),
    ("stage2", "Stage 2: the Low-to-High GAN learns to super-resolve High-to-Low's outputs"),
    ("stage3", "Stage 3: both generators fine-tuned together, end to end"),
)
# On a CPU the integer formats run fastest; the first one whose output stays above the export report's
# quality floor (QUALITY_FLOOR_DB, PSNR against the float model) is used for the enhancement pictures.
ENHANCE_PREFERENCE = ("int8", "dynamic", "fp16", "fp32")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default="demo_out", help="output folder (default: demo_out)")
    parser.add_argument("--configs", default=None,
                        help="folder holding demo_stage{1,2,3}.yaml (default: the configs installed with tfsr)")
    add_overrides(parser, "training.steps=20 (every stage)")
    parser.add_argument("--formats", default=None, help="TFLite formats to export (default: the config's)")


def _stage_config(configs: Path, stage: str, runs: Path, overrides: list[str]) -> Any:
    chained = list(overrides)
    if stage != "stage1":
        chained.append(f"training.high_to_low_run={runs / 'stage1'}")
    if stage == "stage3":
        chained.append(f"training.low_to_high_run={runs / 'stage2'}")
    return load_config(configs / f"demo_{stage}.yaml", chained)


def _pick_for_enhance(rows: list[dict[str, Any]]) -> dict[str, Any]:
    singles = {r["format"]: r for r in rows if r["batch_size"] == 1}
    for fmt in ENHANCE_PREFERENCE:
        row = singles.get(fmt)
        if row is not None and (row["psnr"] is None or row["psnr"] >= QUALITY_FLOOR_DB):
            return row
    return singles["fp32"]


def write_summary(cfg: Any, run_dir: Path, path: Path) -> Path:
    """`summary.png`: held-out HR faces, High-to-Low outputs for 3 noise vectors, Low-to-High outputs of the
    first of them, and real LR faces, from the run's EMA generators."""
    from tfsr.data.pipeline import build_eval_images, build_eval_lr_images
    from tfsr.models import load_generator
    from tfsr.training.samples import SampleSheet, save_grid

    hr = build_eval_images(cfg, limit=8)
    sheet = SampleSheet(hr, cfg.model.high_to_low.noise_dim, noise_count=3, real_lr=build_eval_lr_images(cfg, limit=8))
    generators = {kind: load_generator(run_dir, kind) for kind in ("high_to_low", "low_to_high")}
    save_grid(sheet.render(generators), path)
    return path


def compare_with_bicubic(cfg: Any, run_dir: Path, out: Path) -> dict[str, dict[str, float]]:
    """tfsr (the run's EMA Low-to-High) vs bicubic on the held-out demo faces through the demo camera.

    Writes `comparison.md` (the table) and `comparison.png` (rows: camera LR enlarged, bicubic, tfsr,
    ground truth) into `out`; returns `{"bicubic": quality, "tfsr": quality}` (`metrics.quality`).
    """
    import numpy as np

    from tfsr.data import demo
    from tfsr.evaluation import metrics
    from tfsr.models import load_generator
    from tfsr.pixels import to_unit
    from tfsr.pixels import to_uint8
    from tfsr.training.samples import save_grid, tile

    hr, lr = demo.test_pairs(cfg.model.hr_size, cfg.model.lr_size, cfg.data.test_fraction)
    network = load_generator(run_dir, "low_to_high")
    sr = np.asarray(network(to_unit(lr), training=False))
    bicubic = metrics.upsampled(to_unit(lr), cfg.model.scale, "bicubic")
    results = {"bicubic": metrics.quality(bicubic, hr), "tfsr": metrics.quality(sr, hr)}
    lines = [f"Held-out demo faces ({len(hr)}) through the demo camera (`{demo.CAMERA}`), 16x16 -> 64x64:", "",
             "| method | PSNR-Y (dB) | SSIM-Y | PSNR-RGB (dB) |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {q['psnr_y']:.2f} | {q['ssim_y']:.4f} | {q['psnr_rgb']:.2f} |" for name, q in results.items()]
    (out / "comparison.md").write_text("\n".join(lines) + "\n")
    # Rows: the camera's LR face (pixels enlarged), bicubic, tfsr, the ground truth.
    rows = [lr[:8], to_uint8(bicubic[:8]), to_uint8(sr[:8]), hr[:8]]
    save_grid(tile(rows, cfg.model.hr_size * 2), out / "comparison.png")
    return results


def run(args: argparse.Namespace) -> int:
    from tfsr.export.pipeline import export_generator
    from tfsr.enhance.panels import demo_images
    from tfsr.training import run_training

    out = Path(args.out)
    runs = out / "runs"
    configs = Path(args.configs) if args.configs else bundled_configs()
    started = time.perf_counter()
    cfg = None
    for stage, title in STAGES:
        print(f"\n== {title}", flush=True)
        cfg = _stage_config(configs, stage, runs, args.overrides)
        run_training(cfg, runs / stage)

    print("\n== Export: the Low-to-High generator to TFLite (fp32, fp16, dynamic range, int8)", flush=True)
    formats = args.formats.split(",") if args.formats else None
    result = export_generator(
        runs / "stage3", out / "export", formats=formats, progress=lambda line: print(f"  {line}", flush=True)
    )
    print((out / "export" / "report.md").read_text())

    chosen = _pick_for_enhance(result.report["rows"])
    print(f"== Enhance: a photo with small faces at x4, bicubic vs tfsr, with {chosen['file']}", flush=True)
    pictures = demo_images(out / "export" / chosen["file"], out / "enhance")

    summary = write_summary(cfg, runs / "stage3", out / "summary.png")
    results = compare_with_bicubic(cfg, runs / "stage3", out)
    print(f"\nDone in {time.perf_counter() - started:.0f} s.")
    print(f"  training runs:  {runs}/stage1..3 (tensorboard --logdir {runs})")
    print(f"  TFLite models:  {out / 'export'} (report.md)")
    print(f"  enhanced:       {', '.join(str(p) for p in pictures[:3])}{' ...' if len(pictures) > 3 else ''}")
    print(f"  summary:        {summary}")
    print(f"  comparison:     {out / 'comparison.png'} ({out / 'comparison.md'})")
    print("\nHeld-out demo faces through the demo camera, 16x16 -> 64x64:")
    for name, q in results.items():
        print(f"  {name:8s} PSNR-Y {q['psnr_y']:6.2f} dB   SSIM-Y {q['ssim_y']:.4f}")
    return 0
