"""Run a self-contained experiment; `real-world`: learned vs hand-made degradations on a hidden real one.

`tfsr benchmark real-world` needs no download: it builds faces from the embedded demo images, degrades
some with a hidden "real" chain (the unpaired real LR set and a test set with ground truth), trains the
full method and the table-1 baselines on small networks, and prints PSNR/SSIM against the ground truth and
how separable each method's training inputs are from the real LR faces, as mean and spread over 3 seeds,
with a plot of PSNR-Y against updates. `--quick` runs the same code path on a tiny scale (a smoke test,
its numbers mean nothing).

Examples:
    tfsr benchmark real-world
    tfsr benchmark real-world --quick --work-dir /tmp/rw
    tfsr benchmark real-world --degradation camera --set repeats=1 --set pixel_only=1
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from pathlib import Path

BENCHMARKS = ("real-world",)
_ARTICLES = {str: "a string", int: "an integer", float: "a number"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("benchmark", choices=BENCHMARKS, help="which experiment")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks the code path in about a minute")
    parser.add_argument("--degradation", help="the hidden real degradation (default: high_order)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a setting (high_to_low_steps, low_to_high_steps, batch_size, seed, ...)")
    parser.add_argument("--work-dir", metavar="DIR",
                        help="where data and runs go; finished runs found there are reused (default: a temp dir)")
    parser.add_argument("--output", metavar="FILE", help="also write the results as JSON")


def settings_from_args(args: argparse.Namespace):
    """The benchmark's settings: defaults (or --quick), then --degradation and --set."""
    from tfsr.errors import ConfigError
    from tfsr.experiments.real_world import DEFAULT, QUICK

    settings = QUICK if args.quick else DEFAULT
    changes = {}
    fields = {f.name: f for f in dataclasses.fields(settings)}
    for item in args.overrides:
        key, sep, text = item.partition("=")
        if not sep or key not in fields or key == "model":
            known = ", ".join(k for k in fields if k != "model")
            raise ConfigError(f"--set {item}: expected KEY=VALUE with KEY one of {known}")
        expected = {"degradation": str, "learning_rate": float, "ema_decay": float}.get(key, int)
        if key == "pixel_only":
            if text.strip() not in ("0", "1"):
                raise ConfigError(f"--set {item}: pixel_only must be 0 or 1")
            changes[key] = text.strip() == "1"
            continue
        try:
            value = expected(text.strip())
        except ValueError:
            raise ConfigError(f"--set {item}: {key} must be {_ARTICLES[expected]}") from None
        if expected is not str and value < (0 if key in ("patches_per_photo", "seed", "ema_decay") else 1e-12):
            raise ConfigError(f"--set {item}: {key} is out of range")
        changes[key] = value
    if args.degradation:
        changes["degradation"] = args.degradation
    return dataclasses.replace(settings, **changes)


def run(args: argparse.Namespace) -> int:
    from tfsr.experiments.real_world import format_table, run_benchmark

    settings = settings_from_args(args)
    with tempfile.TemporaryDirectory(prefix="tfsr-real-world-") as scratch:
        work = Path(args.work_dir) if args.work_dir else Path(scratch)
        results = run_benchmark(work, settings, progress=lambda line: print(line, flush=True))
    print()
    print(format_table(results))
    if args.output:
        Path(args.output).write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nwrote {args.output}")
    return 0
