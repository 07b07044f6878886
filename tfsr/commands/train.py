"""Train one stage (High-to-Low, Low-to-High or joint) from a YAML config; resumes a run dir exactly.

Examples:
    tfsr train configs/demo_stage1.yaml
    tfsr train configs/paper/stage2_low_to_high.yaml --set training.batch_size=40 --run-dir runs/s2
    tfsr train configs/paper/stage1_high_to_low.yaml --set training.steps=600000   # extend a finished run
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tfsr.commands import add_overrides


def add_arguments(parser: argparse.ArgumentParser) -> None:
    # Keeps the examples of the module docstring (the command's description) one per line.
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("config", help="experiment YAML file (see configs/)")
    add_overrides(parser)
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=None,
        help="where checkpoints, logs, samples and generators go (default: runs/<name>); an existing run of "
        "the same config is resumed",
    )
    parser.add_argument("--quiet", action="store_true", help="one line per epoch instead of the progress bar")


def run(args: argparse.Namespace) -> int:
    from tfsr.config import load_config
    from tfsr.training.runner import run_training

    cfg = load_config(args.config, args.overrides)
    run_dir = args.run_dir or Path("runs") / cfg.name
    done = run_training(cfg, run_dir, verbose=2 if args.quiet else "auto")
    print(f"generators: {done / 'models'}")
    return 0
