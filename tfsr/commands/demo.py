"""Run the main job on the embedded demo data (build every network of configs/demo.yaml and summarise it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from tfsr.config import load_config

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=str(DEMO_CONFIG), help="the demo config (default: configs/demo.yaml)")
    parser.add_argument("--out", default="demo_out", help="output folder")


def run(args: argparse.Namespace) -> int:
    from tfsr.commands.info import model_table

    cfg = load_config(args.config)
    for row in model_table(cfg, variants=("paper",)):
        row["model"].summary()
    return 0
