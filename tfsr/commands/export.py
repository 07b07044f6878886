"""Export a Low-to-High generator to TFLite (fp32, fp16, dynamic, int8), checked for the GPU delegate.

MODEL is a training run directory (its EMA Low-to-High generator) or a `.keras` file. OUT_DIR receives
`<model>_<format>.tflite` (batch 1) and `<model>_<format>_b<N>.tflite` (batch N), a metadata sidecar per
file, and `report.md` / `report.json` (GPU-operator gate, parity and quality per file). Nothing is written
unless every file passes the gates.
"""

from __future__ import annotations

import argparse

from tfsr.commands import add_overrides


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", help="training run directory or .keras file of a Low-to-High generator")
    parser.add_argument("-o", "--out", required=True, metavar="OUT_DIR", help="output folder")
    parser.add_argument(
        "--formats", help="comma-separated subset of fp32,fp16,dynamic,int8 (default: export.formats)"
    )
    parser.add_argument(
        "--config", help="YAML config whose export section is used (default: the run's config.yaml, else defaults)"
    )
    add_overrides(parser, "export.batch_size=4")
    parser.add_argument("--lr-dir", help="folder of real low-resolution face crops to calibrate int8 (default: demo set)")
    parser.add_argument("--name", help="file-name stem (default: the run directory's name or the file's stem)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the report path")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tfsr.config import ExportConfig, apply_override, config_from_dict, load_config
    from tfsr.export.pipeline import export_generator

    config: ExportConfig | None = None
    if args.config:
        config = load_config(args.config, args.overrides).export
    elif args.overrides:
        raw: dict = {}
        for override in args.overrides:
            apply_override(raw, override)
        config = config_from_dict(raw, "--set").export
    formats = args.formats.split(",") if args.formats else None
    say = None if args.quiet else (lambda line: print(f"tfsr export: {line}", flush=True))
    result = export_generator(args.model, Path(args.out), formats, config, args.lr_dir, args.name, say)
    if not args.quiet:
        for row in result.report["rows"]:
            psnr = "inf" if row["psnr"] is None else f"{row['psnr']:.2f}"
            print(f"  {row['file']}: {row['bytes'] / 1e6:.2f} MB, GPU ops ok, PSNR {psnr} dB, SSIM {row['ssim']:.4f}")
        for note in result.report["notes"]:
            print(f"  note: {note}")
    print(result.out_dir / "report.md")
    return 0
