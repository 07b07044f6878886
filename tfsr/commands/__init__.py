"""Subcommands of the `tfsr` CLI; each module has `add_arguments(parser)` and `run(args) -> int`."""

from __future__ import annotations

import argparse


def add_overrides(parser: argparse.ArgumentParser, example: str = "training.steps=1000") -> None:
    """The `--set KEY=VALUE` option (repeatable) of commands that read a config; values land in `args.overrides`."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override a config value by its dotted key, e.g. {example} (repeatable)",
    )
